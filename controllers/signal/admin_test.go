package signal_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"callapp/models"
)

func TestKickClosesWith4001AndEndsTheCall(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	callID := connectCall(t, a, b, c)
	pending := h.dial(2, "bob") // a second tab still connecting is closed too

	h.hub.Kick(2, "account disabled")
	expectClose(t, b, models.CloseKicked, "account disabled")
	expectClose(t, pending, models.CloseKicked, "account disabled")
	if got := h.hub.Online(); len(got) != 2 || got[0].ID != 1 || got[1].ID != 3 {
		t.Errorf("Online() after kick = %+v", got)
	}
	ended := decode[models.CallPeerEvent](t, a.expect(models.CodeCallEnded))
	if ended != (models.CallPeerEvent{CallID: callID, FromID: 2, Reason: models.CallDisconnected}) {
		t.Errorf("10015 = %+v", ended)
	}
	c.waitView("bob gone, alice free", func(view map[uint64]models.OnlineUser) bool {
		_, bob := view[2]
		return !bob && view[1].Status == models.StatusOnline
	})
	c.quiet(100 * time.Millisecond) // the kicked reader's end adds nothing
	expectCallRow(t, h, callID, models.CallDisconnected, true)
	h.hub.Kick(99, "nobody") // no such user: nothing happens
}

func TestCloseSaysGoodbyeAndRefusesNewConnections(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b := h.join(1, "alice"), h.join(2, "bob")
	callID := connectCall(t, a, b)
	pending := h.dial(3, "carol")
	eventually(t, "3 open connections", func() bool { return h.hub.Stats().OpenConnections == 3 })

	h.hub.Close()
	for _, p := range []*peer{a, b, pending} {
		expectClose(t, p, models.CloseServiceRestart, "server restarting")
	}
	if s := h.hub.Stats(); s.OpenConnections != 0 || s.OnlineUsers != 0 || s.ActiveCalls != 0 {
		t.Errorf("stats after close = %+v", s)
	}
	// Written before Close returned: open, alive at the stop, for the next
	// start to take over.
	if row := callRow(t, h, callID); row.EndedAt != nil || row.AnsweredAt == nil || row.AliveAt == nil || row.AliveAt.Before(*row.AnsweredAt) {
		t.Errorf("call row after a graceful stop = %+v, want answered, open, alive", row)
	}
	_, resp, err := websocket.DefaultDialer.Dial(h.url(4, "dave"), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after close: %v %v", resp, err)
	}
	if got := h.hub.Online(); len(got) != 0 {
		t.Errorf("Online() after close = %+v", got)
	}
	h.hub.Kick(1, "late") // after Close: returns at once
	h.hub.Close()         // twice is fine
}

func TestStatsCountTraffic(t *testing.T) {
	t.Parallel()
	before := time.Now()
	h := start(t, fast())
	a := h.join(1, "alice")
	a.chat("hi")
	a.expect(models.CodeChat)
	// Out: welcome, online list, broadcasts, history, chat; counted just
	// after the write, so possibly after the client read the last one.
	eventually(t, "5 messages out", func() bool { return h.hub.Stats().MessagesOut == 5 })
	s := h.hub.Stats()
	if s.MessagesIn != 2 || s.ChatMessages != 1 || s.OpenConnections != 1 || s.OnlineUsers != 1 {
		t.Errorf("stats = %+v", s)
	}
	if s.Started.Before(before) || s.Started.After(time.Now()) {
		t.Errorf("started = %v", s.Started)
	}
}

func TestOriginChecked(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.CheckOrigin = func(r *http.Request) bool { return r.Header.Get("Origin") == "https://call.example" }
	h := start(t, opts)
	dial := func(origin string) int {
		hdr := http.Header{"Origin": {origin}}
		conn, resp, err := websocket.DefaultDialer.Dial(h.url(1, "alice"), hdr)
		if err == nil {
			conn.Close()
		}
		if resp == nil {
			t.Fatalf("no response: %v", err)
		}
		return resp.StatusCode
	}
	if got := dial("https://evil.example"); got != http.StatusForbidden {
		t.Errorf("cross-origin upgrade: %d", got)
	}
	if got := dial("https://call.example"); got != http.StatusSwitchingProtocols {
		t.Errorf("allowed origin: %d", got)
	}

	same := start(t, fast()) // no CheckOrigin: the request's own host only
	hdr := http.Header{"Origin": {"https://evil.example"}}
	if _, resp, err := websocket.DefaultDialer.Dial(same.url(1, "alice"), hdr); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("default check let a foreign origin in: %v", err)
	}
}
