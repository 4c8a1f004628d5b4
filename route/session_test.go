package route_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"callapp/config"
)

// expectKicked reads ws until it ends, which must be with close 4001 and
// reason.
func expectKicked(t *testing.T, ws *websocket.Conn, reason string) {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue
		}
		if !websocket.IsCloseError(err, 4001) || err.(*websocket.CloseError).Text != reason {
			t.Fatalf("websocket ended with %v, want close 4001 %q", err, reason)
		}
		return
	}
}

// chatTexts is the chat as the client reads it over HTTP.
func (a *app) chatTexts(c *http.Client) []string {
	a.t.Helper()
	r := a.Do(c, "GET", "/webrtc/api/messages", "", "")
	var list []struct{ Message string }
	if err := json.Unmarshal(r.Data, &list); err != nil {
		a.t.Fatalf("messages: %d %s", r.Status, r.Data)
	}
	texts := make([]string, len(list))
	for i, m := range list {
		texts[i] = m.Message
	}
	return texts
}

func chat(ws *websocket.Conn, text string) error {
	return ws.WriteJSON(map[string]any{"method": "Message/SendToAll", "type": 1, "message": text})
}

// TestLogoutClosesItsWebSocket: logging out closes the sockets opened
// with that session (4001), and what the page sends after is not heard;
// the same user's socket of another session lives on.
func TestLogoutClosesItsWebSocket(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, nil)
		phone := a.Register("alice")
		laptop := a.Client()
		if r := a.PostJSON(laptop, "/webrtc/login", cred("alice", "password-alice")); r.Status != 200 {
			t.Fatalf("second login: %d", r.Status)
		}
		bob := a.Register("bob")
		phoneWS, _, err := a.dial(phone, a.URL) // open, not yet connected
		if err != nil {
			t.Fatal(err)
		}
		defer phoneWS.Close()
		laptopWS := a.connect(laptop)
		await(t, laptopWS, 10004)

		if r := a.Do(phone, "POST", "/webrtc/logout", "", ""); r.Status != 200 {
			t.Fatalf("logout: %d", r.Status)
		}
		expectKicked(t, phoneWS, "logged out")
		chat(laptopWS, "still here")
		await(t, laptopWS, 10005)

		if r := a.Do(laptop, "POST", "/webrtc/logout", "", ""); r.Status != 200 {
			t.Fatalf("logout: %d", r.Status)
		}
		expectKicked(t, laptopWS, "logged out")
		chat(laptopWS, "after logout") // refused by the client or unheard
		bobWS := a.connect(bob)
		await(t, bobWS, 10004)
		if got := a.chatTexts(bob); len(got) != 1 || got[0] != "still here" {
			t.Errorf("chat after the logouts: %q", got)
		}
	})
}

// TestLoginAgainClosesTheOldSessionsSocket: a login replaces the
// browser's session; the socket opened with the old one closes (4001).
func TestLoginAgainClosesTheOldSessionsSocket(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, nil)
		c := a.Register("alice")
		ws := a.connect(c)
		await(t, ws, 10002)
		if r := a.PostJSON(c, "/webrtc/login", cred("alice", "password-alice")); r.Status != 200 {
			t.Fatalf("login: %d", r.Status)
		}
		expectKicked(t, ws, "signed in again")
		await(t, a.connect(c), 10002) // the new session's socket
	})
}

// TestSessionExpiryClosesWebSocket: an idle socket closes (4001) when its
// session's SESSION_TTL runs out.
func TestSessionExpiryClosesWebSocket(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, func(c *config.Config) { c.SessionTTL = 1500 * time.Millisecond })
		ws := a.connect(a.Register("alice"))
		await(t, ws, 10002)
		expectKicked(t, ws, "session expired")
	})
}
