package controllers

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestOriginAllowed(t *testing.T) {
	p := NewOriginPolicy([]string{"https://Partner.Example/"})
	tests := []struct {
		name            string
		origin, referer string
		want            bool
	}{
		{"neither header (curl)", "", "", true},
		{"same host and port", "http://app.local:8080", "", true},
		{"same host, other case", "HTTPS://APP.LOCAL:8080", "", true},
		{"same host, trailing slash", "http://app.local:8080/", "", true},
		{"same host, other port", "http://app.local:9090", "", false},
		{"same host, no port", "http://app.local", "", false},
		{"other host", "https://evil.example", "", false},
		{"our host as a prefix", "http://app.local.evil.example:8080", "", false},
		{"our host as userinfo", "http://app.local:8080@evil.example", "", false},
		{"null origin", "null", "", false},
		{"no scheme", "app.local:8080", "", false},
		{"garbage", "%%%", "", false},
		{"allow-listed", "https://partner.example", "", true},
		{"allow-listed, other case", "https://PARTNER.example", "", true},
		{"allow-listed host, other scheme", "http://partner.example", "", false},
		{"allow-listed host, other port", "https://partner.example:8443", "", false},
		{"referer from our page", "", "http://app.local:8080/webrtc/login?next=/in", true},
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

func TestOriginMiddleware(t *testing.T) {
	gin.SetMode(gin.TestMode)
	var reached atomic.Int32
	r := gin.New()
	r.Use(ErrorRenderer(slog.New(slog.NewTextHandler(io.Discard, nil))),
		NewOriginPolicy([]string{"https://partner.example"}).Middleware())
	r.Any("/webrtc/thing", func(c *gin.Context) {
		reached.Add(1)
		OK(c, http.StatusOK, "ok", nil)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()

	tests := []struct {
		method, header, value string
		want                  int
	}{
		{http.MethodPost, "", "", 200},
		{http.MethodPost, "Origin", srv.URL, 200},
		{http.MethodPost, "Origin", "https://partner.example", 200},
		{http.MethodPost, "Origin", "https://evil.example", 403},
		{http.MethodPost, "Origin", "null", 403},
		{http.MethodPost, "Referer", srv.URL + "/webrtc/login", 200},
		{http.MethodPost, "Referer", "https://evil.example/x", 403},
		{http.MethodPut, "Origin", "https://evil.example", 403},
		{http.MethodPatch, "Origin", "https://evil.example", 403},
		{http.MethodDelete, "Origin", "https://evil.example", 403},
		// Reads do not change state: they pass, whatever the origin.
		{http.MethodGet, "Origin", "https://evil.example", 200},
		{http.MethodHead, "Origin", "https://evil.example", 200},
		{http.MethodOptions, "Origin", "https://evil.example", 200},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.header+" "+tt.value, func(t *testing.T) {
			before := reached.Load()
			req, _ := http.NewRequest(tt.method, srv.URL+"/webrtc/thing", strings.NewReader("{}"))
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
			if tt.want == 403 {
				var body Response
				if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Code != 1 || body.Message == "" {
					t.Errorf("403 body %+v (%v), want {code:1, message}", body, err)
				}
			}
		})
	}
}
