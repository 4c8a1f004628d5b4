package route_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// wantCSP is the Content-Security-Policy, directive by directive.
var wantCSP = map[string]string{
	"default-src": "'self'",
	// Vue compiles the in-DOM templates; the hash is the pages' import map's
	// (TestImportMapAllowedByHash).
	"script-src":      "'self' 'unsafe-eval' 'sha256-",
	"connect-src":     "'self'", // ws: and wss: of the page's host too
	"media-src":       "'self' blob:",
	"img-src":         "'self' data: blob:",
	"object-src":      "'none'",
	"base-uri":        "'none'",
	"frame-ancestors": "'none'",
}

var wantHeaders = map[string]string{
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "same-origin",
	"X-Frame-Options":        "DENY",
	"Permissions-Policy":     "camera=(self), microphone=(self), display-capture=(self)",
}

// checkSecurityHeaders reports what h lacks of the security headers.
func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := map[string]string{}
	for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
		if name, value, _ := strings.Cut(strings.TrimSpace(d), " "); name != "" {
			csp[name] = value
		}
	}
	if len(csp) != len(wantCSP) {
		t.Errorf("%s: Content-Security-Policy %q, want the directives %q", what, h.Get("Content-Security-Policy"), wantCSP)
	}
	for name, value := range wantCSP {
		if name == "script-src" && strings.HasPrefix(csp[name], value) && strings.Count(csp[name], " ") == 2 {
			continue
		}
		if csp[name] != value {
			t.Errorf("%s: CSP %s %q, want %q", what, name, csp[name], value)
		}
	}
	for name, value := range wantHeaders {
		if got := h.Values(name); len(got) != 1 || got[0] != value {
			t.Errorf("%s: %s %q, want %q", what, name, got, value)
		}
	}
}

// TestSecurityHeadersOnEveryResponse: pages, static files, redirects,
// errors of every kind and refused websocket upgrades all carry them;
// Strict-Transport-Security only over TLS.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	alice := a.Register("alice")
	anon := a.Client()
	upgrade := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}
	cases := []struct {
		what         string
		c            *http.Client
		method, path string
		header       []string
		status       int
	}{
		{"login page", anon, "GET", "/webrtc/login", nil, 200},
		{"home page", alice, "GET", "/webrtc/in", nil, 200},
		{"admin page", alice, "GET", "/webrtc/admin", nil, 200},
		{"redirect to login", anon, "GET", "/webrtc/in", nil, 302},
		{"root redirect", anon, "GET", "/", nil, 302},
		{"script", anon, "GET", "/webrtc/static/js/page.js", nil, 200},
		{"vendored style", anon, "GET", "/webrtc/static/vendor/layui/css/layui.css", nil, 200},
		{"missing static file", anon, "GET", "/webrtc/static/js/nope.js", nil, 404},
		{"no route", anon, "GET", "/nope", nil, 404},
		{"trailing slash", anon, "GET", "/webrtc/login/", nil, 404},
		{"API", alice, "GET", "/webrtc/api/me", nil, 200},
		{"API without a session", anon, "GET", "/webrtc/api/me", nil, 401},
		{"health", anon, "GET", "/healthz", nil, 200},
		{"body of no type", anon, "POST", "/webrtc/login", nil, 415},
		{"cross-site post", anon, "POST", "/webrtc/login", []string{"Origin", "https://evil.example"}, 403},
		{"unknown host", anon, "GET", "/webrtc/login", []string{"Host", "attacker.example"}, 421},
		{"websocket without a session", anon, "GET", "/webrtc/wss", upgrade, 401},
		{"cross-site websocket", alice, "GET", "/webrtc/wss", append([]string{"Origin", "https://evil.example"}, upgrade...), 403},
		{"websocket refused by the upgrader", alice, "GET", "/webrtc/wss", nil, 400},
	}
	for _, tc := range cases {
		r := a.Do(tc.c, tc.method, tc.path, "", "", tc.header...)
		if r.Status != tc.status {
			t.Errorf("%s: %s %s: %d, want %d", tc.what, tc.method, tc.path, r.Status, tc.status)
		}
		checkSecurityHeaders(t, tc.what, r.Header)
		if hsts := r.Header.Get("Strict-Transport-Security"); hsts != "" {
			t.Errorf("%s: Strict-Transport-Security %q on plain HTTP", tc.what, hsts)
		}
	}

	tlsSrv := httptest.NewTLSServer(a.Handler)
	defer tlsSrv.Close()
	for _, path := range []string{"/webrtc/login", "/nope"} {
		res, err := tlsSrv.Client().Get(tlsSrv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		checkSecurityHeaders(t, "over TLS "+path, res.Header)
		if hsts := res.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") || hsts == "max-age=0" {
			t.Errorf("over TLS %s: Strict-Transport-Security %q, want a max-age", path, hsts)
		}
	}
}
