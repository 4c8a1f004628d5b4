package main

// The harness of the cluster tests (cluster_*_test.go): several nodes on
// one Redis and one database (apptest.Nodes, or child processes for a
// real SIGKILL), and users whose websocket goes to the node the test says.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"callapp/dao"
	"callapp/models"
	"callapp/route/apptest"
)

// clusterWait bounds each expectation of a cluster test: generous, for
// -race on two cores with a Redis round trip or two in every step.
const clusterWait = 15 * time.Second

// noLeaks fails the test if goroutines it started outlive it: called
// first, its check runs after every other cleanup (the nodes' Close
// included). Cluster tests are not parallel, so that others' goroutines
// are not taken for leaks.
func noLeaks(t *testing.T) {
	t.Helper()
	opts := []goleak.Option{goleak.IgnoreCurrent(),
		// Idle HTTP keep-alive connections of the test's clients close
		// on their own once the servers are gone.
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
	}
	t.Cleanup(func() {
		if err := goleak.Find(opts...); err != nil {
			t.Errorf("goroutines left behind: %v", err)
		}
	})
}

// frame is a server envelope as a client sees it; Data is the data's
// bytes as received.
type frame struct {
	Method  string          `json:"method"`
	Message string          `json:"message"`
	Code    int             `json:"code"`
	Data    json.RawMessage `json:"data"`
}

// nodeUser is a user with a session valid on every node (the nodes share
// the database and SESSION_KEY) and one websocket at a time, to the node
// the test chose. Another connection of the same user is another
// nodeUser (another tab).
type nodeUser struct {
	t      *testing.T
	id     uint64
	name   string
	cookie string       // the Cookie header
	http   *http.Client // logged in, for the HTTP API

	ws       *websocket.Conn
	wmu      sync.Mutex // gorilla allows one writer at a time
	in       chan frame
	ended    chan struct{} // closed when the reader ends
	closeErr error         // why it ended; read after ended

	welcome models.Welcome
	online  []models.OnlineUser      // 10000
	history []models.ChatMessageView // 10004
	view    map[uint64]string        // who is online and their status: 10000 and the presence since
	offline map[uint64]int           // how many times each user was said to go offline
}

// register makes an account on node a and returns the user, not
// connected.
func register(t *testing.T, a *apptest.App, name string) *nodeUser {
	t.Helper()
	c := a.Register(name)
	var me models.UserView
	a.Get(c, "/webrtc/api/me", &me)
	u, _ := url.Parse(a.URL)
	var cookies []string
	for _, ck := range c.Jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	return &nodeUser{t: t, id: me.ID, name: name, cookie: strings.Join(cookies, "; "), http: c}
}

// tab is another connection of the same user.
func (u *nodeUser) tab() *nodeUser {
	return &nodeUser{t: u.t, id: u.id, name: u.name, cookie: u.cookie, http: u.http}
}

// dial opens a websocket to the node at base (http://host:port) and starts
// reading it; it returns the HTTP answer of a refused upgrade.
func (u *nodeUser) dial(base string) (*http.Response, error) {
	u.t.Helper()
	h := http.Header{"Origin": {base}, "Cookie": {u.cookie}}
	d := websocket.Dialer{HandshakeTimeout: clusterWait}
	ws, res, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/webrtc/wss", h)
	if err != nil {
		return res, err
	}
	u.ws, u.in, u.ended = ws, make(chan frame, 8192), make(chan struct{})
	u.view, u.offline = map[uint64]string{}, map[uint64]int{}
	stop := make(chan struct{})
	go u.read(ws, u.in, u.ended, stop)
	ended := u.ended
	u.t.Cleanup(func() {
		close(stop)
		ws.Close()
		<-ended
	})
	return res, nil
}

func (u *nodeUser) read(ws *websocket.Conn, in chan<- frame, ended, stop chan struct{}) {
	defer close(ended)
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			u.closeErr = err
			return
		}
		var f frame
		if err := json.Unmarshal(msg, &f); err != nil {
			u.closeErr = err
			return
		}
		select {
		case in <- f:
		case <-stop:
			return
		}
	}
}

// connect dials the node at base and sends User/Connect (with resume when
// asked); it reads the welcome, the online list, the broadcasts and the
// chat history, and returns what came between them (10040, 10041...).
func (u *nodeUser) connect(base string, resume bool) (extra []frame) {
	u.t.Helper()
	if _, err := u.dial(base); err != nil {
		u.t.Fatalf("%s: dial %s: %v", u.name, base, err)
	}
	var data any
	if resume {
		data = models.ConnectIn{Resume: true}
	}
	u.send(models.MethodConnect, 0, data)
	u.welcome = decodeFrame[models.Welcome](u.t, u.expect(models.CodeWelcome))
	for {
		f := u.next()
		switch f.Code {
		case models.CodeOnlineUsers:
			u.online = decodeFrame[[]models.OnlineUser](u.t, f)
			u.presence(f)
		case models.CodeChatHistory:
			u.history = decodeFrame[[]models.ChatMessageView](u.t, f)
			return extra
		case models.CodeLiveList:
		default:
			if !u.presence(f) {
				extra = append(extra, f)
			}
		}
	}
}

// send writes an envelope; data is marshaled unless it is raw JSON.
func (u *nodeUser) send(method string, toID uint64, data any) {
	u.t.Helper()
	env := map[string]any{"method": method, "type": 0, "message": ""}
	if toID != 0 {
		env["toId"] = toID
	}
	if data != nil {
		env["data"] = data
	}
	b, err := json.Marshal(env)
	if err != nil {
		u.t.Fatal(err)
	}
	u.sendRaw(b)
}

// sendRaw writes one text frame as it is.
func (u *nodeUser) sendRaw(b []byte) {
	u.t.Helper()
	u.wmu.Lock()
	defer u.wmu.Unlock()
	if err := u.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		u.t.Fatalf("%s: send: %v", u.name, err)
	}
}

// chat sends a group chat message.
func (u *nodeUser) chat(text string) {
	u.t.Helper()
	b, _ := json.Marshal(map[string]any{"method": models.MethodSendToAll, "type": 1, "message": text})
	u.sendRaw(b)
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// callMethod sends a call method with data {"callId": id}.
func (u *nodeUser) callMethod(method string, toID uint64, callID string) {
	u.t.Helper()
	u.send(method, toID, models.CallRef{CallID: callID})
}

// next returns the next envelope.
func (u *nodeUser) next() frame {
	u.t.Helper()
	f, ok := u.within(clusterWait)
	if !ok {
		u.t.Fatalf("%s: no message within %v (connection: %v)", u.name, clusterWait, u.endErr())
	}
	return f
}

// within returns the next envelope if one comes within d.
func (u *nodeUser) within(d time.Duration) (frame, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case f := <-u.in:
		return f, true
	case <-u.ended:
		select {
		case f := <-u.in: // read before the end
			return f, true
		default:
		}
		u.t.Fatalf("%s: connection ended waiting for a message: %v", u.name, u.closeErr)
	case <-timer.C:
	}
	return frame{}, false
}

func (u *nodeUser) endErr() error {
	select {
	case <-u.ended:
		return u.closeErr
	default:
		return nil
	}
}

// expect returns the next envelope that is not presence, which must have
// the code; presence before it is applied to the view. Presence codes are
// expected as they come.
func (u *nodeUser) expect(code int) frame {
	u.t.Helper()
	for {
		f := u.next()
		if !isPresenceCode(code) && u.presence(f) {
			continue
		}
		if f.Code != code {
			u.t.Fatalf("%s: got %d %s %s %q, want %d", u.name, f.Code, f.Method, f.Data, f.Message, code)
		}
		return f
	}
}

// expectError takes the next envelope, which must be 10001 for method with
// reason.
func (u *nodeUser) expectError(method, reason string) {
	u.t.Helper()
	f := u.expect(models.CodeError)
	if got := decodeFrame[models.ErrorData](u.t, f); got.Method != method || got.Reason != reason || f.Message == "" {
		u.t.Fatalf("%s: 10001 %+v %q, want %s %s", u.name, got, f.Message, method, reason)
	}
}

// quiet reads for d and fails on anything but presence.
func (u *nodeUser) quiet(d time.Duration) {
	u.t.Helper()
	for end := time.Now().Add(d); ; {
		left := time.Until(end)
		if left <= 0 {
			return
		}
		f, ok := u.within(left)
		if !ok {
			return
		}
		if !u.presence(f) {
			u.t.Fatalf("%s: unexpected %d %s %s", u.name, f.Code, f.Method, f.Data)
		}
	}
}

// waitView reads presence until cond holds of the view, and returns when
// it did; anything but presence meanwhile fails the test.
func (u *nodeUser) waitView(what string, d time.Duration, cond func(view map[uint64]string) bool) time.Time {
	u.t.Helper()
	for end := time.Now().Add(d); !cond(u.view); {
		left := time.Until(end)
		f, ok := u.within(left)
		if left <= 0 || !ok {
			u.t.Fatalf("%s: %s: not within %v; sees %v", u.name, what, d, u.view)
		}
		if !u.presence(f) {
			u.t.Fatalf("%s: waiting for %s: unexpected %d %s %s", u.name, what, f.Code, f.Method, f.Data)
		}
	}
	return time.Now()
}

// waitStatus waits until the view shows user id with status ("" for
// offline).
func (u *nodeUser) waitStatus(id uint64, status string) time.Time {
	u.t.Helper()
	return u.waitView(status+" "+"user "+itoa(id), clusterWait, func(v map[uint64]string) bool { return v[id] == status })
}

func isPresenceCode(code int) bool {
	switch code {
	case models.CodeOnlineUsers, models.CodeUserOnline, models.CodeUserStatus, models.CodeUserOffline, models.CodePresence:
		return true
	}
	return false
}

// presence applies f to the view if it is presence, and says so.
func (u *nodeUser) presence(f frame) bool {
	switch f.Code {
	case models.CodeOnlineUsers:
		clear(u.view)
		for _, o := range decodeFrame[[]models.OnlineUser](u.t, f) {
			u.view[o.ID] = o.Status
		}
	case models.CodeUserOnline:
		o := decodeFrame[models.OnlineUser](u.t, f)
		u.view[o.ID] = o.Status
	case models.CodeUserStatus:
		s := decodeFrame[models.StatusChange](u.t, f)
		u.view[s.ID] = s.Status
	case models.CodeUserOffline:
		u.gone(decodeFrame[models.UserOffline](u.t, f).FromID)
	case models.CodePresence:
		p := decodeFrame[models.Presence](u.t, f)
		for _, id := range p.Offline {
			u.gone(id)
		}
		for _, o := range p.Online {
			u.view[o.ID] = o.Status
		}
		for _, s := range p.Status {
			u.view[s.ID] = s.Status
		}
	default:
		return false
	}
	return true
}

func (u *nodeUser) gone(id uint64) {
	delete(u.view, id)
	u.offline[id]++
}

// closeCode waits for the server to end the websocket and returns the
// close code it sent (websocket.CloseAbnormalClosure when none), skipping
// whatever came before.
func (u *nodeUser) closeCode() int {
	u.t.Helper()
	timer := time.NewTimer(clusterWait)
	defer timer.Stop()
	for {
		select {
		case <-u.in:
		case <-u.ended:
			if ce := (*websocket.CloseError)(nil); errors.As(u.closeErr, &ce) {
				return ce.Code
			}
			return websocket.CloseAbnormalClosure
		case <-timer.C:
			u.t.Fatalf("%s: socket not closed within %v", u.name, clusterWait)
		}
	}
}

func decodeFrame[T any](t *testing.T, f frame) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(f.Data, &v); err != nil {
		t.Fatalf("decoding %d %s: %v", f.Code, f.Data, err)
	}
	return v
}

// ring sends an invite from a to b and returns its call id once b has
// 10012 and a 10017.
func ring(t *testing.T, a, b *nodeUser) string {
	t.Helper()
	a.send(models.MethodInvite, b.id, nil)
	in := decodeFrame[models.IncomingCall](t, b.expect(models.CodeIncomingCall))
	if in.FromID != a.id || in.User != (models.UserBrief{ID: a.id, Username: a.name}) || in.CallID == "" {
		t.Fatalf("%s's 10012 = %+v, want a call from %s", b.name, in, a.name)
	}
	r := decodeFrame[models.CallTargetEvent](t, a.expect(models.CodeCallRinging))
	if r != (models.CallTargetEvent{CallID: in.CallID, ToID: b.id}) {
		t.Fatalf("%s's 10017 = %+v, want call %s to %d", a.name, r, in.CallID, b.id)
	}
	return in.CallID
}

// answerCall makes a call from a to b and returns its id once accepted.
func answerCall(t *testing.T, a, b *nodeUser) string {
	t.Helper()
	id := ring(t, a, b)
	b.callMethod(models.MethodAccept, a.id, id)
	if got := decodeFrame[models.CallPeerEvent](t, a.expect(models.CodeCallAccepted)); got != (models.CallPeerEvent{CallID: id, FromID: b.id}) {
		t.Fatalf("%s's 10013 = %+v", a.name, got)
	}
	return id
}

// relayed sends a relay method from a to b with data as raw bytes and
// checks that b gets code from a with the very same bytes.
func relayed(t *testing.T, a, b *nodeUser, method string, code int, data string) {
	t.Helper()
	a.sendRaw([]byte(`{"method":"` + method + `","toId":` + itoa(b.id) + `,"data":` + data + `}`))
	got := decodeFrame[models.Relay](t, b.expect(code))
	if got.FromID != a.id || string(got.Data) != data {
		t.Fatalf("%s's %d = from %d %s, want from %d %s", b.name, code, got.FromID, got.Data, a.id, data)
	}
}

// endedCall waits until call id's record in db has ended and returns
// it; the call must be stored once.
func endedCall(t *testing.T, db *dao.DAO, id string) models.Call {
	t.Helper()
	for deadline := time.Now().Add(clusterWait); ; time.Sleep(50 * time.Millisecond) {
		calls, err := db.RecentCalls(context.Background(), 500)
		if err != nil {
			t.Fatal(err)
		}
		var found []models.Call
		for _, c := range calls {
			if c.ID == id {
				found = append(found, c)
			}
		}
		switch {
		case len(found) > 1:
			t.Fatalf("call %s stored %d times: %+v", id, len(found), found)
		case len(found) == 1 && found[0].EndedAt != nil:
			return found[0]
		case time.Now().After(deadline):
			t.Fatalf("call %s not stored as ended within %v: %+v", id, clusterWait, found)
		}
	}
}
