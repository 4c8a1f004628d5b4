package route_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"callapp/config"
)

// port is the port the app listens on.
func (a *app) port() int { return a.Server.Listener.Addr().(*net.TCPAddr).Port }

// postAs posts JSON as a browser on a page of origin reaching the server
// by the name host would (DNS pointing host at the server).
func (a *app) postAs(c *http.Client, host, origin, path string, body any) reply {
	a.t.Helper()
	return a.PostJSON(c, path, body, "Host", host, "Origin", origin)
}

// users counts the accounts in the database.
func (a *app) users() int64 {
	a.t.Helper()
	page, err := a.DB.ListUsers(context.Background(), "", 0, 1)
	if err != nil {
		a.t.Fatal(err)
	}
	return page.Total
}

// TestDNSRebindingRefused: a page on attacker.example, whose name now
// points at the loopback server, sends Host and Origin of its own name. It
// cannot register the first account (an admin), nor read a page, nor open
// the websocket.
func TestDNSRebindingRefused(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	host := fmt.Sprintf("attacker.example:%d", a.port())
	r := a.postAs(a.Client(), host, "http://"+host, "/webrtc/register", cred("mallory", "password1"))
	if r.Status != http.StatusMisdirectedRequest || r.Code != 1 || !strings.Contains(r.Msg, "unknown host") {
		t.Errorf("register from a rebinding page: %d %q, want 421 with the JSON error", r.Status, r.Msg)
	}
	if n := a.users(); n != 0 {
		t.Errorf("%d accounts after the refused register, want none", n)
	}
	for _, path := range []string{"/webrtc/login", "/webrtc/api/me", "/healthz", "/webrtc/static/js/page.js", "/nope"} {
		if r := a.Do(a.Client(), "GET", path, "", "", "Host", host); r.Status != http.StatusMisdirectedRequest {
			t.Errorf("GET %s with Host %s: %d, want 421", path, host, r.Status)
		}
	}

	// A logged-in user's cookie does not help: the upgrade is refused
	// before any websocket exists.
	alice := a.Register("alice")
	u := "ws" + strings.TrimPrefix(a.URL, "http") + "/webrtc/wss"
	h := http.Header{"Host": {host}, "Origin": {"http://" + host}}
	h.Set("Cookie", "callapp_session="+sessionCookie(t, alice, a.URL))
	ws, res, err := websocket.DefaultDialer.Dial(u, h)
	if err == nil {
		ws.Close()
		t.Fatal("websocket opened with Host attacker.example")
	}
	if !errors.Is(err, websocket.ErrBadHandshake) || res.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("websocket with Host attacker.example: %v, want 421", err)
	}
}

// TestSchemeComparedToOrigin: a plain-HTTP server's pages are http, so an
// https Origin of its own host is another site.
func TestSchemeComparedToOrigin(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	own := strings.TrimPrefix(a.URL, "http://")
	if r := a.postAs(a.Client(), own, "https://"+own, "/webrtc/register", cred("alice", "password1")); r.Status != http.StatusForbidden {
		t.Errorf("register with Origin https://%s on plain HTTP: %d, want 403", own, r.Status)
	}
	if n := a.users(); n != 0 {
		t.Errorf("%d accounts after the refused register, want none", n)
	}
	alice := a.Register("alice")
	if _, res, err := a.dial(alice, "https://"+own); err == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("websocket with Origin https://%s: %v, want 403", own, err)
	}
}

// TestLoopbackNamesAccepted: on loopback the server answers to localhost,
// 127.0.0.1 and [::1], and their pages are its own.
func TestLoopbackNamesAccepted(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	for i, name := range []string{"localhost", "127.0.0.1", "[::1]", "LocalHost."} {
		host := fmt.Sprintf("%s:%d", name, a.port())
		user := fmt.Sprintf("user%d", i)
		if r := a.postAs(a.Client(), host, "http://"+strings.ToLower(host), "/webrtc/register", cred(user, "password1")); r.Status != http.StatusCreated {
			t.Errorf("register as a page of %s: %d %q, want 201", host, r.Status, r.Msg)
		}
	}
}

// TestAllowedHosts: ALLOWED_HOSTS and BASE_URL name the server too; a
// proxy terminating TLS makes BASE_URL's https the pages' scheme.
func TestAllowedHosts(t *testing.T) {
	a := newApp(t, "sqlite", func(c *config.Config) {
		c.AllowedHosts = []string{"calls.internal"}
		c.BaseURL = "https://calls.example.com"
	})
	cases := []struct {
		host, origin string
		status       int
	}{
		{"calls.internal:8080", "https://calls.internal:8080", http.StatusCreated},
		{"calls.internal", "https://calls.internal", http.StatusCreated},
		{"calls.example.com", "https://calls.example.com", http.StatusCreated},
		{"calls.example.com", "http://calls.example.com", http.StatusForbidden},
		{"other.internal", "https://other.internal", http.StatusMisdirectedRequest},
		{"calls.internal.attacker.example", "https://calls.internal.attacker.example", http.StatusMisdirectedRequest},
	}
	for i, tc := range cases {
		r := a.postAs(a.Client(), tc.host, tc.origin, "/webrtc/register", cred(fmt.Sprintf("user%d", i), "password1"))
		if r.Status != tc.status {
			t.Errorf("Host %s, Origin %s: %d %q, want %d", tc.host, tc.origin, r.Status, r.Msg, tc.status)
		}
	}
}
