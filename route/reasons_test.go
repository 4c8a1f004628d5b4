package route_test

import (
	"maps"
	"net/http"
	"testing"
)

// Every error answer carries a reason code the pages translate, besides
// its English message; requests whose fields broke rules name each field.
func TestErrorReasons(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	admin := a.Register("alice")
	user := a.Register("bob")
	anon := a.Client()
	cases := []struct {
		name               string
		c                  *http.Client
		method, path, body string
		status             int
		reason             string
		fields             map[string]string
	}{
		{"anonymous API", anon, "GET", "/webrtc/api/me", "", 401, "login_required", nil},
		{"user on an admin API", user, "GET", "/webrtc/api/admin/users", "", 403, "admins_only", nil},
		{"unknown API path", user, "GET", "/webrtc/api/nothing-here", "", 404, "not_found", nil},
		{"no such user", admin, "PATCH", "/webrtc/api/admin/users/999", `{"disabled":true}`, 404, "no_such_user", nil},
		{"bad role", admin, "PATCH", "/webrtc/api/admin/users/2", `{"role":"owner"}`, 400, "bad_role", map[string]string{"role": "bad_role"}},
		{"demote yourself", admin, "PATCH", "/webrtc/api/admin/users/1", `{"role":"user"}`, 400, "cannot_change_self", nil},
		{"bad paging", admin, "GET", "/webrtc/api/admin/users?page=0", "", 400, "bad_request", nil},
		{"bad before", user, "GET", "/webrtc/api/messages?before=x", "", 400, "bad_request", nil},
		{"no such message", admin, "DELETE", "/webrtc/api/admin/messages/99", "", 404, "not_found", nil},
	}
	for _, tc := range cases {
		ct := ""
		if tc.body != "" {
			ct = "application/json"
		}
		r := a.Do(tc.c, tc.method, tc.path, ct, tc.body)
		if r.Status != tc.status || r.Code != 1 || r.Reason != tc.reason || !maps.Equal(r.Fields, tc.fields) || r.Msg == "" {
			t.Errorf("%s: %d code %d reason %q fields %v message %q, want %d reason %q fields %v and a message",
				tc.name, r.Status, r.Code, r.Reason, r.Fields, r.Msg, tc.status, tc.reason, tc.fields)
		}
	}
}
