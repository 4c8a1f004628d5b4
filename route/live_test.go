package route_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dial opens the signaling websocket as the client's user.
func (a *app) dial(c *http.Client, origin string) (*websocket.Conn, *http.Response, error) {
	u := "ws" + strings.TrimPrefix(a.URL, "http") + "/webrtc/wss"
	h := http.Header{}
	req, _ := http.NewRequest("GET", a.URL, nil)
	for _, ck := range c.Jar.Cookies(req.URL) {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return websocket.DefaultDialer.Dial(u, h)
}

// connect dials and sends User/Connect, returning the live connection.
func (a *app) connect(c *http.Client) *websocket.Conn {
	a.t.Helper()
	ws, _, err := a.dial(c, a.URL)
	if err != nil {
		a.t.Fatalf("dial: %v", err)
	}
	a.t.Cleanup(func() { ws.Close() })
	if err := ws.WriteJSON(map[string]any{"method": "User/Connect"}); err != nil {
		a.t.Fatal(err)
	}
	return ws
}

type envelope struct {
	Code int             `json:"code"`
	Data json.RawMessage `json:"data"`
}

// await reads until an envelope with code arrives.
func await(t *testing.T, ws *websocket.Conn, code int) envelope {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var env envelope
		if err := ws.ReadJSON(&env); err != nil {
			t.Fatalf("waiting for %d: %v", code, err)
		}
		if env.Code == code {
			return env
		}
	}
}

func TestWebSocketUpgradeRules(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	alice := a.Register("alice")
	cases := []struct {
		name   string
		c      *http.Client
		origin string
		status int
	}{
		{"anonymous", a.Client(), a.URL, 401},
		{"cross-site", alice, "https://evil.example", 403},
	}
	for _, tc := range cases {
		_, res, err := a.dial(tc.c, tc.origin)
		if err == nil || res == nil || res.StatusCode != tc.status {
			t.Errorf("%s: err %v, response %v; want %d before the upgrade", tc.name, err, res, tc.status)
		}
	}
	ws := a.connect(alice)
	if env := await(t, ws, 10002); !strings.Contains(string(env.Data), `"username":"alice"`) {
		t.Errorf("welcome: %s", env.Data)
	}
}

func TestDisablingKicksTheConnection(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	admin := a.Register("alice")
	bob := a.connect(a.Register("bob"))
	await(t, bob, 10002)
	if r := a.Do(admin, "PATCH", "/webrtc/api/admin/users/2", "application/json", `{"disabled":true}`); r.Status != 200 {
		t.Fatalf("disable: %d", r.Status)
	}
	bob.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := bob.ReadMessage()
		if err == nil {
			continue
		}
		if !websocket.IsCloseError(err, 4001) {
			t.Errorf("disabled user's websocket ended with %v, want close 4001", err)
		}
		break
	}
}

func TestAdminLiveAndModeration(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, nil)
		admin := a.Register("alice")
		bobClient := a.Register("bob")
		bob := a.connect(bobClient)
		await(t, bob, 10004)
		bob.WriteJSON(map[string]any{"method": "Message/SendToAll", "type": 1, "message": "hello <b>all</b>"})
		chat := await(t, bob, 10005)
		var msg struct{ ID uint64 }
		json.Unmarshal(chat.Data, &msg)

		bob.WriteJSON(map[string]any{"method": "Live/Start", "data": map[string]string{"title": "bob's show"}})
		await(t, bob, 10030)

		live := a.Do(admin, "GET", "/webrtc/api/admin/live", "", "")
		if live.Status != 200 || !contains(string(live.Data), `"username":"bob"`) || !contains(string(live.Data), `"chatMessages":1`) {
			t.Errorf("live: %d %s", live.Status, live.Data)
		}
		if !contains(string(live.Data), `"title":"bob's show","viewers":[]`) || !contains(string(live.Data), `"liveBroadcasts":1`) {
			t.Errorf("live lacks bob's broadcast: %s", live.Data)
		}
		if r := a.Do(bobClient, "GET", "/webrtc/api/messages?limit=10", "", ""); r.Status != 200 || !contains(string(r.Data), `hello \u003cb\u003eall\u003c/b\u003e`) {
			t.Errorf("messages: %d %s", r.Status, r.Data)
		}
		if r := a.Do(bobClient, "DELETE", "/webrtc/api/admin/messages/1", "", ""); r.Status != 403 {
			t.Errorf("user deletes a message: %d, want 403", r.Status)
		}
		if r := a.Do(admin, "DELETE", "/webrtc/api/admin/messages/999", "", ""); r.Status != 404 {
			t.Errorf("delete missing message: %d, want 404", r.Status)
		}
		if r := a.Do(admin, "DELETE", "/webrtc/api/admin/messages/"+itoa(msg.ID), "", ""); r.Status != 200 {
			t.Fatalf("delete: %d %s", r.Status, r.Msg)
		}
		if env := await(t, bob, 10019); string(env.Data) != `{"id":`+itoa(msg.ID)+`}` {
			t.Errorf("10019 data %s", env.Data)
		}
		if r := a.Do(bobClient, "GET", "/webrtc/api/messages", "", ""); string(r.Data) != "[]" {
			t.Errorf("deleted message still listed: %s", r.Data)
		}
	})
}

func TestCallHistory(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, nil)
		admin := a.Register("alice")
		aliceWS := a.connect(admin)
		bobClient := a.Register("bob")
		bobWS := a.connect(bobClient)
		await(t, aliceWS, 10006) // bob came online
		aliceWS.WriteJSON(map[string]any{"method": "Call/Invite", "toId": 2})
		incoming := await(t, bobWS, 10012)
		var call struct{ CallID string }
		json.Unmarshal(incoming.Data, &call)
		bobWS.WriteJSON(map[string]any{"method": "Call/Reject", "toId": 1, "data": map[string]string{"callId": call.CallID}})
		await(t, aliceWS, 10014)

		var mine []struct {
			Peer      struct{ Username string }
			Direction string
			Answered  bool
			EndReason string
		}
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) { // the record is written after the envelope
			r := a.Do(bobClient, "GET", "/webrtc/api/calls", "", "")
			json.Unmarshal(r.Data, &mine)
			if len(mine) == 1 && mine[0].EndReason != "" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(mine) != 1 || mine[0].Peer.Username != "alice" || mine[0].Direction != "incoming" || mine[0].Answered || mine[0].EndReason != "rejected" {
			t.Errorf("bob's history: %+v", mine)
		}
		r := a.Do(admin, "GET", "/webrtc/api/admin/calls", "", "")
		if !contains(string(r.Data), `"caller":{"id":1,"username":"alice"}`) || !contains(string(r.Data), `"callee":{"id":2,"username":"bob"}`) {
			t.Errorf("admin calls: %s", r.Data)
		}
		for _, q := range []string{"limit=0", "limit=x", "limit=101"} {
			if r := a.Do(bobClient, "GET", "/webrtc/api/calls?"+q, "", ""); r.Status != 400 {
				t.Errorf("calls?%s: %d", q, r.Status)
			}
		}
	})
}

func itoa(n uint64) string { b, _ := json.Marshal(n); return string(b) }
