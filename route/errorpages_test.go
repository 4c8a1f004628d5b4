package route_test

import (
	"encoding/json"
	"html"
	"net/http"
	"os"
	"strings"
	"testing"
)

// words is the table of a language, from static/i18n.
func words(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../static/i18n/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var table map[string]string
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	return table
}

// TestErrorPages: a browser asking for a page it may not see, or that does
// not exist, gets a page saying so in its language, with the right status
// and a way on; the API and other clients keep the JSON errors.
func TestErrorPages(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	alice := a.Register("alice") // the first account: an admin
	bob, anon := a.Register("bob"), a.Client()
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	cases := []struct {
		what, path string
		c          *http.Client
		method     string
		accept     string
		status     int
		heading    string // a key of the page's words; empty: JSON
		link       string
	}{
		{"unknown URL", "/nope", anon, "GET", browser, 404, "page.notFound.heading", "/webrtc/login"},
		{"unknown URL, logged in", "/webrtc/nope", bob, "GET", browser, 404, "page.notFound.heading", "/webrtc/in"},
		{"room name the hub refuses", "/webrtc/room/no%20spaces", bob, "GET", browser, 404, "page.noRoom.heading", "/webrtc/in"},
		{"admin page, not an admin", "/webrtc/admin", bob, "GET", browser, 403, "page.forbidden.heading", "/webrtc/in"},
		{"unknown URL as JSON", "/nope", anon, "GET", "application/json", 404, "", ""},
		{"unknown URL, no Accept", "/nope", anon, "GET", "", 404, "", ""},
		{"unknown URL, posted", "/nope", anon, "POST", browser, 404, "", ""},
		{"room as JSON", "/webrtc/room/no%20spaces", bob, "GET", "*/*", 404, "", ""},
		{"admin page as JSON", "/webrtc/admin", bob, "GET", "application/json", 403, "", ""},
		{"unknown API", "/webrtc/api/nope", bob, "GET", browser, 404, "", ""},
		{"API for admins", "/webrtc/api/admin/users", bob, "GET", browser, 403, "", ""},
		{"missing static file", "/webrtc/static/js/nope.js", anon, "GET", browser, 404, "", ""},
		{"static directory", "/webrtc/static/js/", anon, "GET", browser, 404, "", ""},
		{"metrics, anonymous", "/metrics", anon, "GET", browser, 401, "", ""},
	}
	for _, lang := range []string{"en", "zh-CN"} {
		table := words(t, lang)
		for _, tc := range cases {
			r := a.fetch(tc.c, tc.path, "Accept", tc.accept, "Accept-Language", lang)
			if tc.method != "GET" {
				rep := a.Do(tc.c, tc.method, tc.path, "", "", "Accept", tc.accept)
				r = answer{rep.Status, rep.Header, nil}
			}
			if r.status != tc.status {
				t.Errorf("%s, %s: %s %s: %d, want %d", tc.what, lang, tc.method, tc.path, r.status, tc.status)
			}
			ctype := r.header.Get("Content-Type")
			if tc.heading == "" {
				var env struct{ Code int }
				if !strings.HasPrefix(ctype, "application/json") || (r.body != nil && (json.Unmarshal(r.body, &env) != nil || env.Code != 1)) {
					t.Errorf("%s: %s %q, want the JSON error", tc.what, ctype, r.body)
				}
				continue
			}
			body := string(r.body)
			want := []string{
				`<html lang="` + lang + `">`,
				"<h1 id=\"error-heading\">" + html.EscapeString(table[tc.heading]) + "</h1>",
				`href="` + tc.link + `"`,
				`<select id="lang"`,
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("%s, %s: the page lacks %s:\n%s", tc.what, lang, w, body)
				}
			}
			if !strings.HasPrefix(ctype, "text/html") || r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: Content-Type %q, Cache-Control %q: want an HTML page, not stored", tc.what, ctype, r.header.Get("Cache-Control"))
			}
		}
	}
	if r := a.fetch(anon, "/webrtc/admin", "Accept", browser); r.status != http.StatusFound || r.header.Get("Location") != "/webrtc/login" {
		t.Errorf("admin page, anonymous: %d to %q, want a redirect to the login page", r.status, r.header.Get("Location"))
	}
	if r := a.fetch(alice, "/webrtc/admin", "Accept", browser); r.status != http.StatusOK {
		t.Errorf("admin page, admin: %d", r.status)
	}
}
