package signal_test

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"callapp/models"
)

// sessionOf reads the session a test dialed with: ?sid=&expires=&checked=,
// times in UnixNano; absent parts are zero.
func sessionOf(q url.Values) models.SessionRef {
	at := func(key string) time.Time {
		n, err := strconv.ParseInt(q.Get(key), 10, 64)
		if err != nil {
			return time.Time{}
		}
		return time.Unix(0, n)
	}
	id, _ := strconv.ParseUint(q.Get("sid"), 10, 64)
	return models.SessionRef{ID: id, ExpiresAt: at("expires"), CheckedAt: at("checked")}
}

// dialSession opens a websocket for user id as if opened with session s.
func (h *harness) dialSession(id uint64, name string, s models.SessionRef) *peer {
	h.t.Helper()
	q := url.Values{"sid": {strconv.FormatUint(s.ID, 10)}}
	for key, at := range map[string]time.Time{"expires": s.ExpiresAt, "checked": s.CheckedAt} {
		if !at.IsZero() {
			q.Set(key, strconv.FormatInt(at.UnixNano(), 10))
		}
	}
	conn, resp, err := websocket.DefaultDialer.Dial(h.url(id, name)+"&"+q.Encode(), nil)
	if err != nil {
		h.t.Fatalf("dial as %d: %v", id, err)
	}
	resp.Body.Close()
	h.t.Cleanup(func() { conn.Close() })
	return h.peerOn(conn, id, nil)
}

func session(id uint64) models.SessionRef {
	return models.SessionRef{ID: id, ExpiresAt: time.Now().Add(time.Hour), CheckedAt: time.Now()}
}

// TestEndSessionClosesItsSocketsOnly: a logout closes, with 4001, the
// sockets of that session and ends their call as a disconnect; the
// user's socket of another session lives on and can chat.
func TestEndSessionClosesItsSocketsOnly(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	phone := handshake(h.dialSession(1, "alice", session(10)))
	laptop := h.dialSession(1, "alice", session(11)) // open, not yet connected
	bob := h.join(2, "bob")
	callID := connectCall(t, phone, bob)

	h.hub.EndSession(11, "logged out")
	expectClose(t, laptop, models.CloseKicked, "logged out")
	phone.chat("still here")
	phone.expect(models.CodeChat)
	bob.expect(models.CodeChat)

	h.hub.EndSession(10, "logged out")
	expectClose(t, phone, models.CloseKicked, "logged out")
	ended := decode[models.CallPeerEvent](t, bob.expect(models.CodeCallEnded))
	if ended != (models.CallPeerEvent{CallID: callID, FromID: 1, Reason: models.CallDisconnected}) {
		t.Errorf("10015 = %+v", ended)
	}
	bob.waitView("alice offline", func(view map[uint64]models.OnlineUser) bool { _, ok := view[1]; return !ok })
	h.hub.EndSession(0, "nothing") // sessionless connections are not named by 0
	bob.chat("alone")
	bob.expect(models.CodeChat)
}

// TestEndUserSessionsKeepsOne: a password change ends every session of
// the user but the one it was made in.
func TestEndUserSessionsKeepsOne(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	kept := handshake(h.dialSession(1, "alice", session(10)))
	other := h.dialSession(1, "alice", session(11))
	carol := h.join(3, "carol")

	h.hub.EndUserSessions(1, 10, "password changed")
	expectClose(t, other, models.CloseKicked, "password changed")
	kept.chat("mine")
	kept.expect(models.CodeChat)
	carol.expect(models.CodeChat)
}

// TestExpiredSessionClosesIdleSocket: an idle socket is closed with 4001
// once its session expires, not before.
func TestExpiredSessionClosesIdleSocket(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.SessionCheck = 10 * time.Millisecond
	h := start(t, opts)
	s := session(10)
	s.ExpiresAt = time.Now().Add(300 * time.Millisecond)
	a := handshake(h.dialSession(1, "alice", s))
	expectClose(t, a, models.CloseKicked, "session expired")
	if time.Now().Before(s.ExpiresAt) {
		t.Error("closed before the session expired")
	}
}

// TestExpiredSessionCannotAct: a message on a socket whose session has
// expired closes it at once (4001) and is not carried out, even before
// the sweep comes round.
func TestExpiredSessionCannotAct(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.SessionCheck = time.Hour
	h := start(t, opts)
	s := session(10)
	s.ExpiresAt = time.Now().Add(300 * time.Millisecond)
	a := handshake(h.dialSession(1, "alice", s))
	bob := h.join(2, "bob")
	time.Sleep(time.Until(s.ExpiresAt))
	a.chat("too late")
	expectClose(t, a, models.CloseKicked, "session expired")
	bob.waitView("alice offline", func(view map[uint64]models.OnlineUser) bool { _, ok := view[1]; return !ok })
	bob.quiet(50 * time.Millisecond) // no chat came through
}

// TestEndedSessionRefusedOnArrival: a socket whose session was checked
// before it ended, and that reaches the hub after, is closed with 4001:
// the session lookup and the upgrade are not one step.
func TestEndedSessionRefusedOnArrival(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	h.hub.EndSession(10, "logged out")
	expectClose(t, h.dialSession(1, "alice", session(10)), models.CloseKicked, "logged out")

	checked := time.Now()
	h.hub.Kick(2, "account disabled")
	late := session(20)
	late.CheckedAt = checked
	expectClose(t, h.dialSession(2, "bob", late), models.CloseKicked, "account disabled")
	// Looked up after the kick (enabled again, a new login): welcome.
	handshake(h.dialSession(2, "bob", session(21)))
}
