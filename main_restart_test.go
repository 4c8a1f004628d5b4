package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	ossignal "os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"callapp/dao"
	"callapp/models"
	"callapp/route/apptest"
)

// childServerEnv makes the test binary run the server, as main does,
// instead of the tests: a server the test can kill with SIGKILL.
const childServerEnv = "CALLAPP_TEST_CHILD_SERVER"

// runChildServer is main for a child process; it prints the address it
// listens on for the parent.
func runChildServer() int {
	ctx, stop := ossignal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, childServerEnv+"=") || strings.HasPrefix(kv, netnsEnv+"=")
	})
	return run(ctx, nil, env, os.Stderr, func(addr string) { fmt.Println("listening", addr) })
}

// child is the server in a process of its own.
type child struct {
	cmd  *exec.Cmd
	addr string
	logs *apptest.LogBuffer
	done chan error
}

// startChild starts the server with env after the test defaults and waits
// until it listens.
func startChild(t *testing.T, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childServerEnv+"=1", "CALLAPP_BCRYPT_COST=10")
	cmd.Env = append(cmd.Env, env...)
	c := &child{cmd: cmd, logs: &apptest.LogBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = c.logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				addr <- a
			}
		}
		c.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
		if t.Failed() {
			t.Logf("server log:\n%s", c.logs.String())
		}
	})
	select {
	case c.addr = <-addr:
	case err := <-c.done:
		c.done <- err
		t.Fatalf("server exited: %v\n%s", err, c.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start:\n%s", c.logs.String())
	}
	return c
}

// stop sends sig and waits for the process to end.
func (c *child) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.done:
		c.done <- err
		if sig == syscall.SIGTERM && err != nil {
			t.Errorf("graceful stop: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop")
	}
}

// wsUser is a user with a session cookie, and its current websocket.
type wsUser struct {
	t      *testing.T
	id     uint64
	name   string
	header http.Header
	ws     *websocket.Conn
	in     chan envelope
	closed chan error // the read error that ended ws
}

type envelope struct {
	Code int             `json:"code"`
	Data json.RawMessage `json:"data"`
}

func registerUser(t *testing.T, addr, name string) *wsUser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, name, apptest.Password(name))
	res, err := c.Post("http://"+addr+"/webrtc/register", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var reply struct {
		Data models.UserView `json:"data"`
	}
	err = json.NewDecoder(res.Body).Decode(&reply)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("register %s: %d %v", name, res.StatusCode, err)
	}
	u := &wsUser{t: t, id: reply.Data.ID, name: name, header: http.Header{"Origin": {"http://" + addr}}}
	for _, ck := range jar.Cookies(res.Request.URL) {
		u.header.Add("Cookie", ck.Name+"="+ck.Value)
	}
	return u
}

// connect opens a websocket to addr and sends User/Connect (with resume);
// it returns the welcome. Connecting to a server still starting is retried.
func (u *wsUser) connect(addr string, resume bool) models.Welcome {
	u.t.Helper()
	var err error
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		u.ws, _, err = websocket.DefaultDialer.Dial("ws://"+addr+"/webrtc/wss", u.header)
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		u.t.Fatalf("%s: dial: %v", u.name, err)
	}
	ws := u.ws
	u.t.Cleanup(func() { ws.Close() })
	u.in, u.closed = make(chan envelope, 256), make(chan error, 1)
	in, closed := u.in, u.closed
	go func() {
		for {
			var env envelope
			if err := ws.ReadJSON(&env); err != nil {
				closed <- err
				return
			}
			in <- env
		}
	}()
	u.send("User/Connect", 0, models.ConnectIn{Resume: resume})
	var w models.Welcome
	json.Unmarshal(u.expect(models.CodeWelcome).Data, &w)
	return w
}

func (u *wsUser) send(method string, toID uint64, data any) {
	u.t.Helper()
	if err := u.ws.WriteJSON(map[string]any{"method": method, "toId": toID, "data": data}); err != nil {
		u.t.Fatalf("%s: send %s: %v", u.name, method, err)
	}
}

// expect skips to the next envelope with code.
func (u *wsUser) expect(code int) envelope {
	u.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case env := <-u.in:
			if env.Code == code {
				return env
			}
		case err := <-u.closed:
			u.t.Fatalf("%s: connection ended waiting for %d: %v", u.name, code, err)
		case <-timeout:
			u.t.Fatalf("%s: no %d", u.name, code)
		}
	}
}

// dropped waits for the server to end the websocket and returns the close
// code it sent (websocket.CloseAbnormalClosure when it sent none).
func (u *wsUser) dropped() int {
	u.t.Helper()
	select {
	case err := <-u.closed:
		if ce, ok := err.(*websocket.CloseError); ok {
			return ce.Code
		}
		return websocket.CloseAbnormalClosure
	case <-time.After(20 * time.Second):
		u.t.Fatalf("%s: socket not closed", u.name)
		return 0
	}
}

// TestRestartResumesCalls: a server stopped mid-call, gracefully or with
// SIGKILL, and started again lets both parties carry on the same call,
// which is then recorded once with a duration that spans the outage.
func TestRestartResumesCalls(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			x := callOnChild(t, "20s")
			srv, dir, env, alice, bob, callID := x.srv, x.dir, x.env, x.alice, x.bob, x.callID
			alice.send("Call/Stats", 0, models.CallStats{CallID: callID, RTTMs: 10, Path: "host"})
			time.Sleep(300 * time.Millisecond) // a heartbeat or two

			srv.stop(t, sig)
			stopped := time.Now()
			for _, u := range []*wsUser{alice, bob} {
				want := websocket.CloseAbnormalClosure
				if sig == syscall.SIGTERM {
					want = models.CloseServiceRestart
				}
				if got := u.dropped(); got != want {
					t.Errorf("%s: close %d, want %d", u.name, got, want)
				}
			}
			time.Sleep(300 * time.Millisecond) // an outage
			srv = startChild(t, append(env, "CALLAPP_LISTEN="+srv.addr)...)

			for _, u := range []*wsUser{alice, bob} {
				w := u.connect(srv.addr, true)
				if w.Call == nil || w.Call.CallID != callID {
					t.Fatalf("%s: welcome after the restart has call %+v, want %s", u.name, w.Call, callID)
				}
			}
			back := decodeAs[models.PeerAway](t, alice.expect(models.CodePeerBack))
			if back != (models.PeerAway{CallID: callID, FromID: bob.id}) {
				t.Errorf("alice's 10041 = %+v", back)
			}
			alice.send("Message/Offer", bob.id, map[string]any{"type": "offer", "iceRestart": true})
			bob.expect(models.CodeOffer)
			// The hangup follows the sample on the same socket, so the hub
			// takes the sample first.
			bob.send("Call/Stats", 0, models.CallStats{CallID: callID, RTTMs: 30, LossPct: 2, Path: "relay"})
			bob.send("Call/Hangup", alice.id, models.CallRef{CallID: callID})
			ended := decodeAs[models.CallPeerEvent](t, alice.expect(models.CodeCallEnded))
			if ended.Reason != models.CallHangup {
				t.Errorf("alice's 10015 = %+v", ended)
			}
			row := storedCall(t, srv, dir, callID)
			if row.EndReason != models.CallHangup || row.EndedAt == nil || row.AnsweredAt == nil ||
				row.AnsweredAt.After(stopped) || !row.EndedAt.After(stopped) || row.Resumes != 2 {
				t.Errorf("call record = %+v, want one call hung up after the restart", row)
			}
			// A graceful stop stores the quality so far, and the next run
			// carries it on; a killed server loses what it had not stored.
			samples := map[syscall.Signal]int{syscall.SIGTERM: 2, syscall.SIGKILL: 1}[sig]
			if row.StatsSamples != samples || !row.UsedRelay || row.RTTWorstMs == nil || *row.RTTWorstMs != 30 {
				t.Errorf("quality = %+v, want %d samples, relay used, worst rtt 30", row.Quality(), samples)
			}
		})
	}
}

// TestRestartNobodyBack: calls nobody resumes after a restart end as
// server_restart, at the last time the server that carried them knew them.
func TestRestartNobodyBack(t *testing.T) {
	x := callOnChild(t, "1s")
	srv, dir, env, alice, callID := x.srv, x.dir, x.env, x.alice, x.callID
	time.Sleep(300 * time.Millisecond) // recorded, and a heartbeat or two
	srv.stop(t, syscall.SIGKILL)
	killed := time.Now()
	srv = startChild(t, append(env, "CALLAPP_LISTEN="+srv.addr)...)
	time.Sleep(1500 * time.Millisecond) // the grace passes
	if w := alice.connect(srv.addr, true); w.Call != nil {
		t.Errorf("welcome after the grace has call %+v", w.Call)
	}
	row := storedCall(t, srv, dir, callID)
	if row.EndReason != models.CallServerRestart || row.EndedAt == nil || row.EndedAt.After(killed) {
		t.Errorf("call record = %+v, want server_restart before %v", row, killed)
	}
}

// childCall is a call between alice and bob on a server of its own.
type childCall struct {
	srv        *child
	dir        string   // the server's data folder
	env        []string // its settings, to start it again with
	alice, bob *wsUser
	callID     string
}

// callOnChild starts a server with the resume grace given and a fast
// heartbeat, and puts alice and bob in a call on it.
func callOnChild(t *testing.T, grace string) childCall {
	t.Helper()
	x := childCall{dir: t.TempDir()}
	x.env = []string{"CALLAPP_DATA_DIR=" + x.dir, "CALLAPP_LISTEN=127.0.0.1:0",
		"CALLAPP_TURN_ENABLED=false", "CALLAPP_CALL_RESUME_GRACE=" + grace, "CALLAPP_CALL_HEARTBEAT=100ms"}
	x.srv = startChild(t, x.env...)
	x.alice, x.bob = registerUser(t, x.srv.addr, "alice"), registerUser(t, x.srv.addr, "bob")
	x.alice.connect(x.srv.addr, false)
	x.bob.connect(x.srv.addr, false)
	x.callID = call(t, x.alice, x.bob)
	return x
}

// call makes a call from a to b and returns its id once accepted.
func call(t *testing.T, a, b *wsUser) string {
	t.Helper()
	a.send("Call/Invite", b.id, nil)
	incoming := decodeAs[models.IncomingCall](t, b.expect(models.CodeIncomingCall))
	b.send("Call/Accept", a.id, models.CallRef{CallID: incoming.CallID})
	a.expect(models.CodeCallAccepted)
	return incoming.CallID
}

func decodeAs[T any](t *testing.T, env envelope) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(env.Data, &v); err != nil {
		t.Fatalf("decoding %d %s: %v", env.Code, env.Data, err)
	}
	return v
}

// storedCall stops the server and reads call id's record from its
// database, as a tool beside the server would.
func storedCall(t *testing.T, srv *child, dataDir, id string) models.Call {
	t.Helper()
	srv.stop(t, syscall.SIGTERM)
	var found []models.Call
	withDB(t, dao.Options{Driver: dao.DriverSQLite, DSN: filepath.Join(dataDir, "callapp.db")}, func(d *dao.DAO) {
		calls, err := d.RecentCalls(context.Background(), 100)
		failOn(t, err)
		for _, c := range calls {
			if c.ID == id {
				found = append(found, c)
			}
		}
	})
	if len(found) != 1 {
		t.Fatalf("call %s stored %d times", id, len(found))
	}
	return found[0]
}
