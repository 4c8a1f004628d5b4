package route_test

import (
	"fmt"
	"net/http"
	"testing"
)

// TestAccessTable is the permission table: every route for every role.
func TestAccessTable(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, nil)
		roles := map[string]*http.Client{
			"anonymous": a.Client(),
			"admin":     a.Register("alice"), // the first account is admin
			"user":      a.Register("bob"),
		}
		const bobID = 2
		routes := []struct {
			method, path, body string
			want               map[string]int
		}{
			{"GET", "/", "", map[string]int{"anonymous": 302, "user": 302, "admin": 302}},
			{"GET", "/healthz", "", map[string]int{"anonymous": 200, "user": 200, "admin": 200}},
			{"GET", "/webrtc/login", "", map[string]int{"anonymous": 200, "user": 302, "admin": 302}},
			{"GET", "/webrtc/register", "", map[string]int{"anonymous": 200, "user": 302, "admin": 302}},
			{"GET", "/webrtc/in", "", map[string]int{"anonymous": 302, "user": 200, "admin": 200}},
			{"GET", "/webrtc/live/0123abcd", "", map[string]int{"anonymous": 302, "user": 200, "admin": 200}},
			{"GET", "/webrtc/admin", "", map[string]int{"anonymous": 302, "user": 403, "admin": 200}},
			{"GET", "/webrtc/room/Brave-otter_42", "", map[string]int{"anonymous": 302, "user": 200, "admin": 200}},
			{"GET", "/webrtc/room/a.b", "", map[string]int{"anonymous": 302, "user": 404, "admin": 404}},
			{"GET", "/webrtc/api/me", "", map[string]int{"anonymous": 401, "user": 200, "admin": 200}},
			{"GET", "/webrtc/api/ice-servers", "", map[string]int{"anonymous": 401, "user": 200, "admin": 200}},
			{"GET", "/webrtc/api/admin/relay", "", map[string]int{"anonymous": 401, "user": 403, "admin": 200}},
			{"GET", "/webrtc/api/admin/users", "", map[string]int{"anonymous": 401, "user": 403, "admin": 200}},
			{"PATCH", fmt.Sprintf("/webrtc/api/admin/users/%d", bobID), `{"role":"user"}`,
				map[string]int{"anonymous": 401, "user": 403, "admin": 200}},
			{"GET", "/webrtc/api/calls", "", map[string]int{"anonymous": 401, "user": 200, "admin": 200}},
			{"GET", "/webrtc/api/messages", "", map[string]int{"anonymous": 401, "user": 200, "admin": 200}},
			{"GET", "/webrtc/api/admin/calls", "", map[string]int{"anonymous": 401, "user": 403, "admin": 200}},
			{"GET", "/webrtc/api/admin/calls/quality", "", map[string]int{"anonymous": 401, "user": 403, "admin": 200}},
			{"GET", "/webrtc/api/admin/live", "", map[string]int{"anonymous": 401, "user": 403, "admin": 200}},
			{"GET", "/webrtc/api/admin/cluster", "", map[string]int{"anonymous": 401, "user": 403, "admin": 200}},
			{"DELETE", "/webrtc/api/admin/messages/99", "", map[string]int{"anonymous": 401, "user": 403, "admin": 404}},
			{"GET", "/webrtc/wss", "", map[string]int{"anonymous": 401}},
			{"GET", "/metrics", "", map[string]int{"anonymous": 401, "user": 403, "admin": 200}},
			{"GET", "/webrtc/static/vendor/vue/vue.esm-browser.prod.js", "", map[string]int{"anonymous": 200, "user": 200, "admin": 200}},
			{"GET", "/webrtc/nope", "", map[string]int{"anonymous": 404, "user": 404, "admin": 404}},
		}
		for _, rt := range routes {
			for role, want := range rt.want {
				r := a.Do(roles[role], rt.method, rt.path, "application/json", rt.body)
				if r.Status != want {
					t.Errorf("%s %s as %s: got %d, want %d (%s)", rt.method, rt.path, role, r.Status, want, r.Msg)
				}
			}
		}
	})
}

func TestPageRedirects(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	anon := a.Client()
	for path, want := range map[string]string{"/": "/webrtc/in", "/webrtc/in": "/webrtc/login", "/webrtc/live/0123abcd": "/webrtc/login", "/webrtc/admin": "/webrtc/login"} {
		r := a.Do(anon, "GET", path, "", "")
		if got := r.Header.Get("Location"); got != want {
			t.Errorf("GET %s redirects to %q, want %q", path, got, want)
		}
	}
}

func TestAdminUpdatesUsers(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, nil)
		admin := a.Register("alice")
		bob := a.Register("bob")
		cases := []struct {
			path, body string
			status     int
		}{
			{"/webrtc/api/admin/users/2", `{"role":"admin"}`, 200},
			{"/webrtc/api/admin/users/2", `{"role":"root"}`, 400},
			{"/webrtc/api/admin/users/999", `{"disabled":true}`, 404},
			{"/webrtc/api/admin/users/abc", `{"disabled":true}`, 404},
			{"/webrtc/api/admin/users/1", `{"disabled":true}`, 400}, // not yourself
			{"/webrtc/api/admin/users/1", `{"role":"user"}`, 400},
			{"/webrtc/api/admin/users/2", `{"disabled":`, 400},
		}
		for _, tc := range cases {
			if r := a.Do(admin, "PATCH", tc.path, "application/json", tc.body); r.Status != tc.status {
				t.Errorf("PATCH %s %s: got %d (%s), want %d", tc.path, tc.body, r.Status, r.Msg, tc.status)
			}
		}
		// bob became admin and now reaches the admin API.
		if r := a.Do(bob, "GET", "/webrtc/api/admin/users", "", ""); r.Status != 200 {
			t.Errorf("promoted user gets %d from the admin API", r.Status)
		}
	})
}

func TestAdminListUsersPaging(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	admin := a.Register("alice")
	for _, name := range []string{"bob", "bobby", "carol"} {
		a.Register(name)
	}
	r := a.Do(admin, "GET", "/webrtc/api/admin/users?q=BOB&page=1&size=1", "", "")
	if r.Status != 200 || !contains(string(r.Data), `"total":2`) || !contains(string(r.Data), `"username":"bob"`) {
		t.Errorf("search BOB page 1 size 1: %d %s", r.Status, r.Data)
	}
	if !contains(string(r.Data), `"lastLoginAt":"`) {
		t.Errorf("registering is a login, but the list shows none: %s", r.Data)
	}
	if contains(string(r.Data), "password") {
		t.Errorf("user list leaks password data: %s", r.Data)
	}
	for _, q := range []string{"page=0", "size=0", "size=101", "page=x"} {
		if r := a.Do(admin, "GET", "/webrtc/api/admin/users?"+q, "", ""); r.Status != 400 {
			t.Errorf("%s: got %d, want 400", q, r.Status)
		}
	}
}
