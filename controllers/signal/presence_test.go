package signal_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"callapp/models"
)

func TestConnectWelcomeOnlineListAndPresence(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.RingTimeout = 1500 * time.Millisecond
	opts.ICEServers = func(id uint64) []models.ICEServer {
		return []models.ICEServer{{URLs: []string{"turn:127.0.0.1:3478"}, Username: "u" + string(rune('0'+id)), Credential: "c"}}
	}
	h := start(t, opts)
	a := h.join(1, "alice")
	w := a.welcome
	if w.User != (models.UserView{ID: 1, Username: "alice", Role: models.RoleUser}) || w.CallTimeoutSec != 2 {
		t.Errorf("welcome = %+v", w)
	}
	if len(w.ICEServers) != 1 || w.ICEServers[0].Username != "u1" || w.ICEServers[0].URLs[0] != "turn:127.0.0.1:3478" {
		t.Errorf("iceServers = %+v", w.ICEServers)
	}
	if len(a.online) != 0 || len(a.history) != 0 {
		t.Errorf("first user sees online %v, history %v", a.online, a.history)
	}

	b := h.join(2, "bob")
	want := models.OnlineUser{ID: 1, Username: "alice", Status: models.StatusOnline}
	if len(b.online) != 1 || b.online[0] != want {
		t.Errorf("bob's online list = %+v", b.online)
	}
	came := decode[models.OnlineUser](t, a.expect(models.CodeUserOnline))
	if came != (models.OnlineUser{ID: 2, Username: "bob", Status: models.StatusOnline}) {
		t.Errorf("10006 = %+v", came)
	}
	if got := h.hub.Online(); len(got) != 2 || got[0].ID != 1 || got[1].ID != 2 {
		t.Errorf("Online() = %+v", got)
	}

	b.conn.Close()
	if gone := decode[models.UserOffline](t, a.expect(models.CodeUserOffline)); gone.FromID != 2 {
		t.Errorf("10008 = %+v", gone)
	}
	eventually(t, "bob gone from Online()", func() bool { return len(h.hub.Online()) == 1 })
	if s := h.hub.Stats(); s.OnlineUsers != 1 {
		t.Errorf("stats online = %d", s.OnlineUsers)
	}
}

func TestNoICEServersIsAnEmptyList(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a := h.dial(1, "alice")
	a.send(models.MethodConnect, 0, nil)
	data := decode[map[string]json.RawMessage](t, a.expect(models.CodeWelcome))
	if string(data["iceServers"]) != "[]" {
		t.Errorf("iceServers = %s, want []", data["iceServers"])
	}
}

func TestReplacementTellsOldConnectionWithoutFlicker(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a := h.join(1, "alice")
	b := h.join(2, "bob")
	a.expect(models.CodeUserOnline)

	b2 := h.join(2, "bob")
	env := b.expect(models.CodeReplaced)
	if env.Message == "" {
		t.Error("10003 has no message")
	}
	expectClose(t, b, models.CloseReplaced, "")
	if len(b2.online) != 1 || b2.online[0].ID != 1 {
		t.Errorf("new connection's online list = %+v", b2.online)
	}
	a.quiet(150 * time.Millisecond) // no 10008 + 10006 for the swap

	a.send(models.MethodInvite, 2, nil) // the new connection is the one rung
	callID := decode[models.IncomingCall](t, b2.expect(models.CodeIncomingCall)).CallID
	if callID == "" {
		t.Error("no callId")
	}
	if got := h.hub.Online(); len(got) != 2 {
		t.Errorf("Online() = %+v", got)
	}
}

func TestReplacementEndsTheCallAsADisconnect(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	callID := connectCall(t, a, b, c)

	b2 := h.join(2, "bob")
	b.expect(models.CodeReplaced)
	ended := decode[models.CallPeerEvent](t, a.waitFor(models.CodeCallEnded))
	if ended != (models.CallPeerEvent{CallID: callID, FromID: 2, Reason: models.CallDisconnected}) {
		t.Errorf("10015 = %+v", ended)
	}
	// The new page's list is as of the last tick; the next one frees alice.
	if len(b2.online) != 2 {
		t.Errorf("after replacement b2 sees %+v", b2.online)
	}
	expectStatuses(t, b2, map[uint64]string{1: models.StatusOnline})
	expectStatuses(t, c, map[uint64]string{1: models.StatusOnline, 2: models.StatusOnline})
	c.quiet(100 * time.Millisecond)
	h.hub.Close()
	expectCallRow(t, h, callID, models.CallDisconnected, true)
}

func TestMethodsBeforeConnectAndConnectTwice(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	p := h.dial(1, "alice")
	p.send(models.MethodOffer, 2, map[string]string{"sdp": "x"})
	p.expectError(models.MethodOffer, models.ReasonNotConnected)
	p.send(models.MethodConnect, 0, nil)
	p.expect(models.CodeWelcome)
	p.expect(models.CodeOnlineUsers)
	p.expect(models.CodeLiveList)
	p.expect(models.CodeChatHistory)
	p.send(models.MethodConnect, 0, nil)
	p.expectError(models.MethodConnect, models.ReasonAlreadyConnected)
}

func TestConnectTimeoutCloses(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.ConnectTimeout = 100 * time.Millisecond
	opts.PingInterval = 20 * time.Millisecond // pongs must not extend the connect deadline
	h := start(t, opts)
	p := h.dial(1, "alice")
	began := time.Now()
	expectClose(t, p, models.ClosePolicyViolation, "connect timeout")
	if d := time.Since(began); d > time.Second {
		t.Errorf("closed after %v", d)
	}
	if got := h.hub.Online(); len(got) != 0 {
		t.Errorf("Online() = %+v", got)
	}
}

// expectStatuses reads presence (10007 or 10018), skipping other
// envelopes, until the peer's view shows each user in want so.
func expectStatuses(t *testing.T, p *peer, want map[uint64]string) {
	t.Helper()
	p.waitView(fmt.Sprint("statuses ", want), func(view map[uint64]models.OnlineUser) bool {
		for id, s := range want {
			if view[id].Status != s {
				return false
			}
		}
		return true
	})
}

// waitFor skips envelopes until one with code arrives; presence on the
// way is applied to the view.
func (p *peer) waitFor(codes ...int) envelope {
	p.t.Helper()
	for {
		env := p.next()
		if slices.Contains(codes, env.Code) {
			return env
		}
		p.applyPresence(env)
	}
}

func TestHeartbeatKeepsLiveClientsAndDropsSilentOnes(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.PingInterval, opts.PongWait = 30*time.Millisecond, 200*time.Millisecond
	h := start(t, opts)
	live := h.join(1, "alice") // gorilla's client answers pings by default
	mute := h.dialWith(2, "mute", func(c *websocket.Conn) {
		c.SetPingHandler(func(string) error { return nil }) // reads pings, never pongs
	})
	mute.send(models.MethodConnect, 0, nil)
	live.waitFor(models.CodeUserOnline)
	began := time.Now()
	expectClose(t, mute, models.CloseGoingAway, "pong timeout")
	if d := time.Since(began); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("silent client dropped after %v, want about 200ms", d)
	}
	if off := decode[models.UserOffline](t, live.expect(models.CodeUserOffline)); off.FromID != 2 {
		t.Errorf("10008 = %+v", off)
	}
	live.quiet(300 * time.Millisecond) // idle past PongWait, kept alive by pongs
	if got := h.hub.Online(); len(got) != 1 || got[0].ID != 1 {
		t.Errorf("Online() = %+v", got)
	}
}
