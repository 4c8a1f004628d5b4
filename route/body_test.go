package route_test

import (
	"net/http"
	"strings"
	"testing"
)

// Bodies gin would decode by their Content-Type; only JSON and forms are
// read now.
var foreignBodies = map[string]string{
	"application/yaml":       "username: &a carol\npassword: &b password-carol\n",
	"application/x-yaml":     "username: carol\npassword: password-carol\n",
	"application/xml":        "<x><username>carol</username><password>password-carol</password></x>",
	"application/toml":       "username = \"carol\"\npassword = \"password-carol\"\n",
	"application/x-msgpack":  "\x82\xa8username\xa5carol\xa8password\xaepassword-carol",
	"application/bson":       "\x05\x00\x00\x00\x00",
	"application/x-protobuf": "\x0a\x05carol",
}

func TestBodiesOnlyJSONOrForm(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	admin := a.Register("alice")
	a.Register("bob")
	endpoints := []struct {
		method, path string
		c            *http.Client
	}{
		{"POST", "/webrtc/register", a.Client()},
		{"POST", "/webrtc/login", a.Client()},
		{"PATCH", "/webrtc/api/admin/users/2", admin},
	}
	for _, ep := range endpoints {
		for contentType, body := range foreignBodies {
			r := a.Do(ep.c, ep.method, ep.path, contentType, body)
			if r.Status != http.StatusUnsupportedMediaType || r.Code != 1 || !strings.HasPrefix(r.Msg, "unsupported content type") {
				t.Errorf("%s %s as %s: %d %q, want 415 with the JSON error", ep.method, ep.path, contentType, r.Status, r.Msg)
			}
		}
		deep := strings.Repeat("[", 60<<10)
		if r := a.Do(ep.c, ep.method, ep.path, "application/json", deep); r.Status != http.StatusBadRequest || r.Msg != "malformed request body: nested too deeply" {
			t.Errorf("%s %s, 60 KB of [: %d %q, want 400", ep.method, ep.path, r.Status, r.Msg)
		}
	}
	if r := a.Do(admin, "GET", "/webrtc/api/admin/users", "", ""); strings.Contains(string(r.Data), "carol") {
		t.Errorf("a refused body created an account: %s", r.Data)
	}
	// JSON with a charset, and forms, still work.
	if r := a.Do(a.Client(), "POST", "/webrtc/register", "application/json; charset=UTF-8", `{"username":"carol","password":"password-carol"}`); r.Status != 201 {
		t.Errorf("register with charset: %d %q", r.Status, r.Msg)
	}
	if r := a.Do(a.Client(), "POST", "/webrtc/login", "application/x-www-form-urlencoded", "username=carol&password=password-carol"); r.Status != 200 {
		t.Errorf("login by form: %d %q", r.Status, r.Msg)
	}
	if r := a.Do(admin, "PATCH", "/webrtc/api/admin/users/2", "Application/JSON;charset=utf-8", `{"disabled":true}`); r.Status != 200 {
		t.Errorf("PATCH with charset: %d %q", r.Status, r.Msg)
	}
}

func TestStaticHasNoDirectoryListing(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	for _, path := range []string{"/webrtc/static/", "/webrtc/static/js/", "/webrtc/static/js", "/webrtc/static/vendor/"} {
		r := a.Do(a.Client(), "GET", path, "", "")
		if r.Status != http.StatusNotFound || r.Code != 1 || r.Msg != "not found" {
			t.Errorf("GET %s: %d %q, want the JSON 404", path, r.Status, r.Msg)
		}
	}
	if r := a.Do(a.Client(), "GET", "/webrtc/static/js/api.js", "", ""); r.Status != http.StatusOK {
		t.Errorf("a file under static: %d", r.Status)
	}
}
