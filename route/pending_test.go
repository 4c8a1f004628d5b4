package route_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"callapp/config"
)

// dialFrom opens the websocket as c's user through a trusted proxy that
// says the client is at ip.
func (a *app) dialFrom(c *http.Client, ip string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{"Origin": {a.URL}, "X-Forwarded-For": {ip}}
	req, _ := http.NewRequest("GET", a.URL, nil)
	for _, ck := range c.Jar.Cookies(req.URL) {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a.URL, "http")+"/webrtc/wss", h)
}

// The default cap on websockets waiting for User/Connect holds per client
// address, as gin's ClientIP tells it (behind TRUSTED_PROXIES).
func TestWebSocketsWaitingToConnectCappedPerAddress(t *testing.T) {
	a := newApp(t, "sqlite", func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1"} })
	alice := a.Register("alice")
	var waiting []*websocket.Conn
	for i := range config.Default().WSMaxPendingPerIP {
		ws, _, err := a.dialFrom(alice, "203.0.113.1")
		if err != nil {
			t.Fatalf("websocket %d: %v", i+1, err)
		}
		t.Cleanup(func() { ws.Close() })
		waiting = append(waiting, ws)
	}
	_, res, err := a.dialFrom(alice, "203.0.113.1")
	if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("one more from the same address: %v %v, want 429", err, res)
	}
	var body reply
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.Code != 1 || !strings.Contains(body.Msg, "waiting to connect") {
		t.Errorf("429 body: %+v %v, want the JSON error", body, err)
	}
	ws, _, err := a.dialFrom(alice, "203.0.113.2")
	if err != nil {
		t.Fatalf("another address: %v", err)
	}
	ws.Close()
	// One sends User/Connect: its place is free again.
	if err := waiting[0].WriteJSON(map[string]any{"method": "User/Connect"}); err != nil {
		t.Fatal(err)
	}
	await(t, waiting[0], 10002)
	ws, _, err = a.dialFrom(alice, "203.0.113.1")
	if err != nil {
		t.Fatalf("after User/Connect: %v", err)
	}
	ws.Close()
}
