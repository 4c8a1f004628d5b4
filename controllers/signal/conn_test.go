package signal_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"callapp/models"
)

func TestBadJSONAndUnknownMethodKeepTheConnection(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a := h.join(1, "alice")
	a.sendRaw([]byte(`{"method": "Message/SendToAll", "message": `))
	a.expectError("", models.ReasonBadJSON)
	a.sendRaw([]byte(`{"method": "Call/Invite", "toId": "2"}`)) // toId must be a number
	a.expectError(models.MethodInvite, models.ReasonBadJSON)
	a.send("Room/Dance", 0, nil)
	a.expectError("Room/Dance", models.ReasonUnknownMethod)
	a.chat("still here")
	if got := decode[models.ChatMessageView](t, a.expect(models.CodeChat)); got.Message != "still here" {
		t.Errorf("chat after errors = %+v", got)
	}
}

func TestMissingFields(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a := h.join(1, "alice")
	cases := []struct {
		env, method, reason string
	}{
		{`{"method":"Message/Offer","data":{"sdp":"x"}}`, models.MethodOffer, models.ReasonMissingField},
		{`{"method":"Message/Answer","toId":2}`, models.MethodAnswer, models.ReasonMissingField},
		{`{"method":"Message/Candidate","toId":2,"data":null}`, models.MethodCandidate, models.ReasonMissingField},
		{`{"method":"Call/Invite"}`, models.MethodInvite, models.ReasonMissingField},
		{`{"method":"Call/Accept","toId":2}`, models.MethodAccept, models.ReasonMissingField},
		{`{"method":"Call/Reject","toId":2,"data":{}}`, models.MethodReject, models.ReasonMissingField},
		{`{"method":"Call/Hangup","data":{"callId":"x"}}`, models.MethodHangup, models.ReasonMissingField},
		{`{"method":"Call/Hangup","toId":2,"data":{"callId":5}}`, models.MethodHangup, models.ReasonBadJSON},
	}
	for _, tc := range cases {
		a.sendRaw([]byte(tc.env))
		a.expectError(tc.method, tc.reason)
	}
}

func TestSpoofedFromIDIgnoredAndDataPassedByteForByte(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b := h.join(1, "alice"), h.join(2, "bob")
	connectCall(t, a, b)
	data := `{ "type" : "offer",  "sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n<&>\u00e9" }`
	a.sendRaw([]byte(`{"method":"Message/Offer","type":1,"fromId":999,"userId":999,"toId":2,"data":` + data + `}`))
	env := b.expect(models.CodeOffer)
	want := `{"method":"Message/Offer","type":0,"message":"","code":10010,"data":{"fromId":1,"data":` + data + `}}`
	if string(env.raw) != want {
		t.Errorf("relayed\n%s\nwant\n%s", env.raw, want)
	}
	b.sendRaw([]byte(`{"method":"Message/Candidate","fromId":1,"toId":1,"data":{"candidate":"c"}}`))
	got := decode[models.Relay](t, a.expect(models.CodeCandidate))
	if got.FromID != 2 || string(got.Data) != `{"candidate":"c"}` {
		t.Errorf("candidate = %+v %s", got, got.Data)
	}
}

func TestOversizeMessageClosesWith1009(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.MaxMessageBytes = 1024
	h := start(t, opts)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	a.chat(strings.Repeat("x", 900)) // under the limit with its envelope
	a.waitFor(models.CodeChat)
	a.chat(strings.Repeat("x", 1100))
	expectClose(t, a, models.CloseTooBig, "")
	if off := decode[models.UserOffline](t, b.waitFor(models.CodeUserOffline)); off.FromID != 1 {
		t.Errorf("10008 = %+v", off)
	}
}

func TestRateLimitAnswersThenDisconnects(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.MessageRate, opts.MessageBurst, opts.RateStrikes = 0.5, 3, 3
	h := start(t, opts)
	p := h.dial(1, "alice") // User/Connect counts too: use the burst on unknown methods
	for range 12 {
		if err := p.conn.WriteMessage(websocket.TextMessage, []byte(`{"method":"Nope"}`)); err != nil {
			break // closed under us: fine
		}
	}
	select {
	case <-p.ended:
	case <-time.After(wait):
		t.Fatal("not closed")
	}
	var reasons []string
	for len(p.in) > 0 { // everything answered before the close
		reasons = append(reasons, decode[models.ErrorData](t, <-p.in).Reason)
	}
	expectClose(t, p, models.ClosePolicyViolation, "rate limit exceeded")
	want := "unknown_method unknown_method unknown_method rate_limited rate_limited rate_limited"
	if got := strings.Join(reasons, " "); got != want {
		t.Errorf("answers = %s\nwant      %s", got, want)
	}
}

func TestSlowClientIsDroppedWhileOthersKeepReceiving(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.SendQueue = 16 // room for alice's answers to what she still had in flight at the drop
	opts.WriteWait = 500 * time.Millisecond
	opts.PongWait = time.Minute // it answers no pings either: drop it for its queue, not for that
	h := start(t, opts)
	a, c := h.join(1, "alice"), h.join(3, "carol")
	slow := h.dialRaw(2, "slow") // reads only until it is rung, then never again
	slow.WriteMessage(websocket.TextMessage, []byte(`{"method":"User/Connect"}`))
	eventually(t, "slow client online", func() bool { return len(h.hub.Online()) == 3 })
	a.send(models.MethodInvite, 2, nil)
	readUntil(t, slow, models.CodeIncomingCall)

	carolChats := func(text string) {
		c.chat(text)
		for {
			if env := c.next(); !c.applyPresence(env) && env.Code == models.CodeChat &&
				decode[models.ChatMessageView](t, env).Message == text {
				return
			}
		}
	}
	big := []byte(`{"method":"Message/Candidate","toId":2,"data":"` + strings.Repeat("x", 60<<10) + `"}`)
	var ended *models.CallPeerEvent // alice's 10015 for the dropped client, whenever it comes
	for i := 0; h.hub.Stats().SlowClientsDropped == 0; i++ {
		if i == 500 { // 30 MB: far beyond any socket buffer
			t.Fatal("the slow client was never dropped")
		}
		a.sendRaw(big)
		if i%4 == 3 {
			// Let the hub catch up with alice, so that she does not run
			// megabytes ahead of the drop; others keep receiving meanwhile.
			ended = cmp.Or(a.sync(), ended)
			carolChats("still flowing")
		}
	}
	if ended == nil {
		ended = ptr(decode[models.CallPeerEvent](t, a.waitFor(models.CodeCallEnded)))
	}
	if ended.FromID != 2 || ended.Reason != models.CallDisconnected {
		t.Errorf("10015 = %+v", *ended)
	}
	carolChats("after the drop")
	c.waitView("the slow client gone", func(view map[uint64]models.OnlineUser) bool {
		_, slow := view[2]
		return !slow
	})
}

// readUntil reads raw frames until one has the code.
func readUntil(t *testing.T, conn *websocket.Conn, code int) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var env envelope
		if json.Unmarshal(msg, &env) == nil && env.Code == code {
			return
		}
		if bytes.Contains(msg, []byte(`"code":10001`)) {
			t.Fatalf("error: %s", msg)
		}
	}
}

func TestStalledWriteIsDropped(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.SendQueue = 1 << 20 // never full: only the stalled write can drop it
	opts.WriteWait = 300 * time.Millisecond
	opts.PongWait = time.Minute
	h := start(t, opts)
	a := h.join(1, "alice")
	slow := h.dialRaw(2, "slow") // reads until it is rung, then never again
	slow.WriteMessage(websocket.TextMessage, []byte(`{"method":"User/Connect"}`))
	eventually(t, "slow client online", func() bool { return len(h.hub.Online()) == 2 })
	a.send(models.MethodInvite, 2, nil)
	readUntil(t, slow, models.CodeIncomingCall)

	big := []byte(`{"method":"Message/Candidate","toId":2,"data":"` + strings.Repeat("x", 60<<10) + `"}`)
	var ended *models.CallPeerEvent
	// 60 MB at most: far beyond any socket buffer, so the writer stalls. On
	// a fast machine the sends end before the stall is noticed: then wait.
	for i := 0; i < 1000 && h.hub.Stats().SlowClientsDropped == 0; i++ {
		a.sendRaw(big)
		if i%8 == 7 {
			ended = cmp.Or(a.sync(), ended) // keep alice's own answers flowing
		}
	}
	eventually(t, "the stalled client dropped", func() bool { return h.hub.Stats().SlowClientsDropped > 0 })
	if ended == nil {
		a.waitFor(models.CodeCallEnded)
	}
	eventually(t, "the stalled socket closed", func() bool { return h.hub.Stats().OpenConnections == 1 })
	if c := h.hub.Counters(); c.Closes["broken"] == 0 {
		t.Errorf("closes = %v, want one broken", c.Closes)
	}
}

// sync waits until the hub has handled everything p sent before, by
// sending an unknown method and reading up to its 10001. It returns the
// 10015 (call ended) that came on the way, if one did.
func (p *peer) sync() (ended *models.CallPeerEvent) {
	p.t.Helper()
	p.send("Test/Sync", 0, nil)
	for {
		switch env := p.next(); env.Code {
		case models.CodeError:
			return ended
		case models.CodeCallEnded:
			ended = ptr(decode[models.CallPeerEvent](p.t, env))
		default:
			p.applyPresence(env)
		}
	}
}

func ptr[T any](v T) *T { return &v }
