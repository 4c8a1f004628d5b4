package route_test

import (
	"strings"
	"testing"
)

// Look-alikes cannot register beside the names they
// imitate: width forms collide (409), the others are refused (400) with a
// message saying why. Login normalizes the same way.
func TestLookAlikeUsernames(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, nil)
		a.Register("root_admin")
		a.Register("bob")
		for _, tc := range []struct {
			name   string
			status int
			msg    string
		}{
			{"ＲＯＯＴ_ＡＤＭＩＮ", 409, "username: already taken"},
			{"ｂｏｂ", 409, "username: already taken"},
			{"root_аdmin", 400, "username: mixes scripts (Latin and Cyrillic)"},
			{"ᵇᵒᵇ", 400, "username: may not use compatibility forms of letters"},
			{"z" + strings.Repeat("\u0301", 31), 400, "username: has more than 2 combining marks in a row"},
			{"bob\u202egnp", 400, "username: may not contain bidirectional control characters"},
		} {
			r := a.PostJSON(a.Client(), "/webrtc/register", cred(tc.name, "password1"))
			if r.Status != tc.status || !strings.HasPrefix(r.Msg, tc.msg) {
				t.Errorf("register %q: %d %q, want %d %q", tc.name, r.Status, r.Msg, tc.status, tc.msg)
			}
		}
		r := a.PostJSON(a.Client(), "/webrtc/login", cred("ＲＯＯＴ_ＡＤＭＩＮ", "password-root_admin"))
		if r.Status != 200 || !strings.Contains(string(r.Data), `"username":"root_admin"`) {
			t.Errorf("login as ＲＯＯＴ_ＡＤＭＩＮ: %d %s, want root_admin's account", r.Status, r.Data)
		}
		if r := a.PostJSON(a.Client(), "/webrtc/register", cred("ｶﾀｶﾅ_ｻﾝ", "password1")); r.Status != 201 ||
			!strings.Contains(string(r.Data), `"username":"カタカナ_サン"`) {
			t.Errorf("register half-width katakana: %d %s, want 201 shown in full width", r.Status, r.Data)
		}
	})
}
