package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"

	"callapp/config"
)

// policy is the OriginPolicy of the default settings changed by tweak.
func policy(tweak func(*config.Config)) *OriginPolicy {
	cfg := config.Default()
	tweak(cfg)
	return NewOriginPolicy(cfg)
}

func TestOriginAllowed(t *testing.T) {
	p := policy(func(c *config.Config) {
		c.AllowedOrigins = []string{"https://Partner.Example/"}
		c.AllowedHosts = []string{"app.local"}
	})
	tests := []struct {
		name            string
		origin, referer string
		want            bool
	}{
		{"neither header (curl)", "", "", true},
		{"same host and port", "http://app.local:8080", "", true},
		{"same host, other case", "HTTP://APP.LOCAL:8080", "", true},
		{"same host, trailing slash", "http://app.local:8080/", "", true},
		{"same host, https on a plain-HTTP server", "https://app.local:8080", "", false},
		{"same host, other port", "http://app.local:9090", "", false},
		{"same host, no port", "http://app.local", "", false},
		{"other host", "https://evil.example", "", false},
		{"our host as a prefix", "http://app.local.evil.example:8080", "", false},
		{"our host as userinfo", "http://app.local:8080@evil.example", "", false},
		{"userinfo before our host", "http://evil.example@app.local:8080", "", false},
		{"null origin", "null", "", false},
		{"no scheme", "app.local:8080", "", false},
		{"garbage", "%%%", "", false},
		{"allow-listed", "https://partner.example", "", true},
		{"allow-listed, other case", "https://PARTNER.example", "", true},
		{"allow-listed host, other scheme", "http://partner.example", "", false},
		{"allow-listed host, other port", "https://partner.example:8443", "", false},
		{"referer from our page", "", "http://app.local:8080/webrtc/login?next=/in", true},
		{"referer from our host over https", "", "https://app.local:8080/webrtc/login", false},
		{"referer from another site", "", "https://evil.example/attack.html", false},
		{"referer from an allow-listed site", "", "https://partner.example/page", true},
		{"relative referer", "", "/webrtc/login", false},
		{"unparsable referer", "", "http://[::1", false},
		{"origin wins over a good referer", "https://evil.example", "http://app.local:8080/", false},
		{"origin wins over a bad referer", "http://app.local:8080", "https://evil.example/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://app.local:8080/webrtc/login", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.referer != "" {
				r.Header.Set("Referer", tt.referer)
			}
			if got := p.Allowed(r); got != tt.want {
				t.Errorf("Allowed(Origin %q, Referer %q) = %v, want %v", tt.origin, tt.referer, got, tt.want)
			}
		})
	}
}

// TestOriginOfUnknownHostRefused: a DNS-rebinding page's Origin matches its
// Host, and that is not enough. Over TLS, the page's origin is https.
func TestOriginOfUnknownHostRefused(t *testing.T) {
	p := policy(func(c *config.Config) { c.AllowedHosts = []string{"app.local"} })
	r := httptest.NewRequest(http.MethodPost, "http://attacker.example:8080/webrtc/register", nil)
	r.Header.Set("Origin", "http://attacker.example:8080")
	if p.Allowed(r) {
		t.Error("Origin http://attacker.example:8080 allowed for Host attacker.example:8080")
	}
	r = httptest.NewRequest(http.MethodPost, "https://app.local/webrtc/login", nil)
	for origin, want := range map[string]bool{"https://app.local": true, "http://app.local": false} {
		r.Header.Set("Origin", origin)
		if got := p.Allowed(r); got != want {
			t.Errorf("over TLS, Origin %s: allowed %v, want %v", origin, got, want)
		}
	}
}

// TestOriginBehindTLSProxy: BASE_URL https says pages are https though the
// connection from the proxy is plain.
func TestOriginBehindTLSProxy(t *testing.T) {
	p := policy(func(c *config.Config) { c.BaseURL = "https://calls.example.com" })
	loopback := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	for _, tt := range []struct {
		host, origin string
		want         bool
	}{
		{"calls.example.com", "https://calls.example.com", true},
		{"calls.example.com", "http://calls.example.com", false},
		{"127.0.0.1:8080", "https://calls.example.com", true}, // a proxy that rewrites Host
		{"127.0.0.1:8080", "http://127.0.0.1:8080", false},
		{"127.0.0.1:8080", "https://127.0.0.1:8080", true},
	} {
		r := httptest.NewRequest(http.MethodPost, "/webrtc/login", nil)
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, loopback))
		r.Host = tt.host
		r.Header.Set("Origin", tt.origin)
		if got := p.Allowed(r); got != tt.want {
			t.Errorf("Host %s, Origin %s: allowed %v, want %v", tt.host, tt.origin, got, tt.want)
		}
	}
}

func TestHostAllowed(t *testing.T) {
	p := policy(func(c *config.Config) {
		c.AllowedHosts = []string{"calls.example.com", "box.lan:8443", "[fd00::1]", "10.1.2.3"}
	})
	loopback := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	lan := &net.TCPAddr{IP: net.ParseIP("192.168.1.5"), Port: 8080}
	tests := []struct {
		local net.Addr // the address the connection arrived on; nil: none known
		host  string
		want  bool
	}{
		{loopback, "localhost:8080", true},
		{loopback, "LOCALHOST.:8080", true},
		{loopback, "localhost", true},
		{loopback, "localhost:9000", true}, // ssh -L 9000:localhost:8080
		{loopback, "127.0.0.1:8080", true},
		{loopback, "127.0.0.2:8080", true},
		{loopback, "[::1]:8080", true},
		{loopback, "[::ffff:127.0.0.1]:8080", true},
		{loopback, "attacker.example:8080", false},
		{loopback, "localhost.attacker.example:8080", false},
		{loopback, "192.168.1.5:8080", false},
		{loopback, "", false},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, "localhost:8080", true},
		{lan, "192.168.1.5:8080", true},
		{lan, "192.168.1.5", true},
		{lan, "192.168.1.6:8080", false},
		{lan, "localhost:8080", false},
		{lan, "127.0.0.1:8080", false},
		{lan, "attacker.example:8080", false},
		{&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 8080, Zone: "eth0"}, "[fe80::1%25eth0]:8080", true},
		// Configured names: any port unless one is given.
		{lan, "calls.example.com", true},
		{lan, "Calls.Example.Com:8080", true},
		{lan, "calls.example.com.evil.example", false},
		{lan, "box.lan:8443", true},
		{lan, "box.lan:8080", false},
		{lan, "box.lan", false}, // port 80 on plain HTTP
		{lan, "[fd00::1]:8080", true},
		{lan, "[fd00:0::1]", true},
		{lan, "10.1.2.3:8080", true},
		{nil, "calls.example.com", true},
		{nil, "localhost:8080", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Host = tt.host
		if tt.local != nil {
			r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, tt.local))
		}
		if got := p.HostAllowed(r); got != tt.want {
			t.Errorf("arrived at %v, Host %q: allowed %v, want %v", tt.local, tt.host, got, tt.want)
		}
	}
}

func TestHostWithDefaultPortOverTLS(t *testing.T) {
	p := policy(func(c *config.Config) { c.AllowedHosts = []string{"box.lan:443"} })
	r := httptest.NewRequest(http.MethodGet, "https://box.lan/", nil)
	if !p.HostAllowed(r) {
		t.Error("Host box.lan over TLS is box.lan:443, and refused")
	}
}

func TestOriginMiddleware(t *testing.T) {
	var reached atomic.Int32
	r := handlerRouter(policy(func(c *config.Config) { c.AllowedOrigins = []string{"https://partner.example"} }).Middleware())
	r.Any("/webrtc/thing", func(c *gin.Context) {
		reached.Add(1)
		OK(c, http.StatusOK, "ok", nil)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()

	port := srv.Listener.Addr().(*net.TCPAddr).Port
	rebound := fmt.Sprintf("attacker.example:%d", port)
	tests := []struct {
		method, header, value string
		want                  int
		host                  string // the Host header; empty: the server's address
	}{
		{http.MethodPost, "", "", 200, ""},
		{http.MethodPost, "Origin", srv.URL, 200, ""},
		{http.MethodPost, "Origin", "https://partner.example", 200, ""},
		{http.MethodPost, "Origin", "https://evil.example", 403, ""},
		{http.MethodPost, "Origin", "null", 403, ""},
		{http.MethodPost, "Referer", srv.URL + "/webrtc/login", 200, ""},
		{http.MethodPost, "Referer", "https://evil.example/x", 403, ""},
		{http.MethodPut, "Origin", "https://evil.example", 403, ""},
		{http.MethodPatch, "Origin", "https://evil.example", 403, ""},
		{http.MethodDelete, "Origin", "https://evil.example", 403, ""},
		// Reads do not change state: they pass, whatever the origin.
		{http.MethodGet, "Origin", "https://evil.example", 200, ""},
		{http.MethodHead, "Origin", "https://evil.example", 200, ""},
		{http.MethodOptions, "Origin", "https://evil.example", 200, ""},
		// The server's own names, on a plain-HTTP server.
		{http.MethodPost, "Origin", "https" + strings.TrimPrefix(srv.URL, "http"), 403, ""},
		{http.MethodPost, "Origin", fmt.Sprintf("http://localhost:%d", port), 200, fmt.Sprintf("localhost:%d", port)},
		{http.MethodPost, "Origin", fmt.Sprintf("http://[::1]:%d", port), 200, fmt.Sprintf("[::1]:%d", port)},
		// DNS rebinding: the Host is not ours, whatever the method or Origin.
		{http.MethodPost, "Origin", "http://" + rebound, 421, rebound},
		{http.MethodGet, "", "", 421, rebound},
		{http.MethodPost, "", "", 421, rebound},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.header+" "+tt.value+" "+tt.host, func(t *testing.T) {
			before := reached.Load()
			req, _ := http.NewRequest(tt.method, srv.URL+"/webrtc/thing", strings.NewReader("{}"))
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.header != "" {
				req.Header.Set(tt.header, tt.value)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			ran := reached.Load() != before
			if ran != (tt.want == 200) {
				t.Errorf("handler ran: %v, want %v", ran, tt.want == 200)
			}
			if tt.want != 200 {
				var body Response
				if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Code != 1 || body.Message == "" {
					t.Errorf("%d body %+v (%v), want {code:1, message}", tt.want, body, err)
				}
			}
		})
	}
}
