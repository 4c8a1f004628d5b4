package route_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"callapp/config"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestRegister(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, nil)
		c := a.Client()
		r := a.PostJSON(c, "/webrtc/register", cred("jörg", "correct horse"))
		if r.Status != 201 || r.Code != 0 || string(r.Data) != `{"id":1,"username":"jörg","role":"admin"}` {
			t.Fatalf("register: %d %d %s", r.Status, r.Code, r.Data)
		}
		if me := a.Do(c, "GET", "/webrtc/api/me", "", ""); me.Status != 200 || string(me.Data) != string(r.Data) {
			t.Errorf("registering logs in: me = %d %s", me.Status, me.Data)
		}
		cases := []struct {
			name, body, contentType string
			status                  int
			msg, reason             string
			fields                  map[string]string // nil: none in the answer
		}{
			{"taken, other case", `{"username":"JÖRG","password":"password1"}`, "application/json", 409, "username: already taken", "username_taken",
				map[string]string{"username": "username_taken"}},
			{"too short", `{"username":"jo","password":"password1"}`, "application/json", 400, "username: must be 3-32 characters", "username_length",
				map[string]string{"username": "username_length"}},
			{"too long", `{"username":"` + strings.Repeat("é", 33) + `","password":"password1"}`, "application/json", 400, "username: must be 3-32 characters", "username_length",
				map[string]string{"username": "username_length"}},
			{"sql", `{"username":"bob'; DROP TABLE users;--","password":"password1"}`, "application/json", 400, "username: may contain only", "username_chars",
				map[string]string{"username": "username_chars"}},
			{"markup", `{"username":"<b>x</b>","password":"password1"}`, "application/json", 400, "username: may contain only", "username_chars",
				map[string]string{"username": "username_chars"}},
			{"short password", `{"username":"bob","password":"short"}`, "application/json", 400, "password: must be at least 8 characters", "password_too_short",
				map[string]string{"password": "password_too_short"}},
			{"4 characters of 8 bytes", `{"username":"bob","password":"öööö"}`, "application/json", 400, "password: must be at least 8 characters", "password_too_short",
				map[string]string{"password": "password_too_short"}},
			{"long password", `{"username":"bob","password":"` + strings.Repeat("x", 73) + `"}`, "application/json", 400, "password: must be at most 72 bytes", "password_too_long",
				map[string]string{"password": "password_too_long"}},
			{"both fields, at once", `{"username":"a b","password":"short"}`, "application/json", 400,
				"username: may contain only letters, digits, '_', '.' and '-'; password: must be at least 8 characters", "username_chars",
				map[string]string{"username": "username_chars", "password": "password_too_short"}},
			{"bad json", `{"username":`, "application/json", 400, "malformed request body", "bad_request", nil},
			{"wrong types", `{"username":1,"password":2}`, "application/json", 400, "malformed request body", "bad_request", nil},
			{"oversized", `{"username":"bob","password":"` + strings.Repeat("x", 70<<10) + `"}`, "application/json", 413, "request body too large", "body_too_large", nil},
			{"xml", `<a/>`, "application/xml", 415, "unsupported content type", "unsupported_content_type", nil},
			{"form post", "username=bob&password=password1", "application/x-www-form-urlencoded", 201, "ok", "", nil},
			{"valid odd name", `{"username":"drop.table--users","password":"password1"}`, "application/json", 201, "ok", "", nil},
		}
		for _, tc := range cases {
			r := a.Do(a.Client(), "POST", "/webrtc/register", tc.contentType, tc.body)
			if r.Status != tc.status || !strings.HasPrefix(r.Msg, tc.msg) || r.Reason != tc.reason || !maps.Equal(r.Fields, tc.fields) {
				t.Errorf("%s: got %d %q reason %q fields %v, want %d %q reason %q fields %v",
					tc.name, r.Status, r.Msg, r.Reason, r.Fields, tc.status, tc.msg, tc.reason, tc.fields)
			}
		}
		// The tables survived the SQL-looking name, and it is stored verbatim.
		c2 := a.Client()
		if r := a.PostJSON(c2, "/webrtc/login", cred("DROP.TABLE--USERS", "password1")); r.Status != 200 || !contains(string(r.Data), `"drop.table--users"`) {
			t.Errorf("login as drop.table--users: %d %s", r.Status, r.Data)
		}
	})
}

func TestRegistrationClosed(t *testing.T) {
	a := newApp(t, "sqlite", func(c *config.Config) { c.RegistrationOpen = false })
	if r := a.PostJSON(a.Client(), "/webrtc/register", cred("alice", "password1")); r.Status != 403 || r.Reason != "registration_closed" {
		t.Errorf("closed registration: got %d %q", r.Status, r.Reason)
	}
}

func TestConfiguredAdmins(t *testing.T) {
	a := newApp(t, "sqlite", func(c *config.Config) { c.AdminUsernames = []string{"Carol"} })
	for name, role := range map[string]string{"alice": "user", "carol": "admin"} {
		r := a.PostJSON(a.Client(), "/webrtc/register", cred(name, "password1"))
		if !contains(string(r.Data), `"role":"`+role+`"`) {
			t.Errorf("%s: %s, want role %s", name, r.Data, role)
		}
	}
}

func TestLoginLogout(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, nil)
		a.Register("alice")
		c := a.Client()
		r := a.PostJSON(c, "/webrtc/login", cred("ALICE", "password-alice"))
		if r.Status != 200 || string(r.Data) != `{"id":1,"username":"alice","role":"admin"}` {
			t.Fatalf("login: %d %s", r.Status, r.Data)
		}
		cookie := r.Header.Get("Set-Cookie")
		for _, attr := range []string{"callapp_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !contains(cookie, attr) {
				t.Errorf("cookie %q lacks %s", cookie, attr)
			}
		}
		if contains(cookie, "Secure") {
			t.Errorf("cookie over plain HTTP is Secure: %q", cookie)
		}
		old := sessionCookie(t, c, a.URL)
		if r := a.PostJSON(c, "/webrtc/login", cred("alice", "password-alice")); r.Status != 200 {
			t.Fatalf("second login: %d", r.Status)
		}
		if sessionCookie(t, c, a.URL) == old {
			t.Error("a second login kept the same token")
		}
		stale := withCookie(a, old)
		if r := a.Do(stale, "GET", "/webrtc/api/me", "", ""); r.Status != 401 {
			t.Errorf("the token replaced at login still works: %d", r.Status)
		}
		if r := a.Do(c, "POST", "/webrtc/logout", "", ""); r.Status != 200 {
			t.Errorf("logout: %d", r.Status)
		}
		if r := a.Do(c, "GET", "/webrtc/api/me", "", ""); r.Status != 401 {
			t.Errorf("me after logout: %d", r.Status)
		}
		if r := a.Do(a.Client(), "POST", "/webrtc/logout", "", ""); r.Status != 200 {
			t.Errorf("anonymous logout: %d", r.Status)
		}
	})
}

func TestLoginFailures(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, nil)
		admin := a.Register("alice")
		a.Register("bob")
		wrong := a.PostJSON(a.Client(), "/webrtc/login", cred("alice", "wrong password"))
		unknown := a.PostJSON(a.Client(), "/webrtc/login", cred("nobody", "wrong password"))
		if wrong.Status != 401 || unknown.Status != 401 || wrong.Msg != unknown.Msg || wrong.Reason != "wrong_credentials" || unknown.Reason != wrong.Reason {
			t.Errorf("wrong password %d %q vs unknown user %d %q: want the same 401", wrong.Status, wrong.Msg, unknown.Status, unknown.Msg)
		}
		for _, body := range []string{`{"username":"alice"`, `[]`} {
			if r := a.Do(a.Client(), "POST", "/webrtc/login", "application/json", body); r.Status != 400 {
				t.Errorf("login with %s: %d", body, r.Status)
			}
		}
		// Disabling bob: his live session ends at once, and he cannot log in.
		bob := a.Client()
		a.PostJSON(bob, "/webrtc/login", cred("bob", "password-bob"))
		if r := a.Do(admin, "PATCH", "/webrtc/api/admin/users/2", "application/json", `{"disabled":true}`); r.Status != 200 {
			t.Fatalf("disable: %d %s", r.Status, r.Msg)
		}
		if r := a.Do(bob, "GET", "/webrtc/api/me", "", ""); r.Status != 401 {
			t.Errorf("disabled user's session: %d, want 401", r.Status)
		}
		if r := a.PostJSON(a.Client(), "/webrtc/login", cred("bob", "password-bob")); r.Status != 403 || r.Reason != "account_disabled" {
			t.Errorf("disabled login: %d %q, want 403 account_disabled", r.Status, r.Reason)
		}
		if r := a.PostJSON(a.Client(), "/webrtc/login", cred("bob", "bad password")); r.Status != 401 {
			t.Errorf("disabled user, wrong password: %d, want 401 (no hint the account exists)", r.Status)
		}
		a.Do(admin, "PATCH", "/webrtc/api/admin/users/2", "application/json", `{"disabled":false}`)
		if r := a.PostJSON(a.Client(), "/webrtc/login", cred("bob", "password-bob")); r.Status != 200 {
			t.Errorf("re-enabled login: %d", r.Status)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	a := newApp(t, "sqlite", func(c *config.Config) { c.LoginMaxIPFailures = 8 })
	a.Register("alice")
	for i := 0; i < 5; i++ {
		if r := a.PostJSON(a.Client(), "/webrtc/login", cred("alice", "wrong password")); r.Status != 401 {
			t.Fatalf("failure %d: %d", i+1, r.Status)
		}
	}
	r := a.PostJSON(a.Client(), "/webrtc/login", cred("Alice", "password-alice"))
	retry, _ := strconv.Atoi(r.Header.Get("Retry-After"))
	if r.Status != 429 || retry < 60 || retry > 15*60+1 || r.Reason != "too_many_attempts" {
		t.Fatalf("6th attempt: %d %q Retry-After %q, want 429 too_many_attempts within the 15 min window", r.Status, r.Reason, r.Header.Get("Retry-After"))
	}
	// Another username from the same address still gets through, until
	// the address has failed 8 times.
	for i := 0; i < 3; i++ {
		if r := a.PostJSON(a.Client(), "/webrtc/login", cred("user"+strconv.Itoa(i), "wrong password")); r.Status != 401 {
			t.Fatalf("other user %d: %d", i, r.Status)
		}
	}
	if r := a.PostJSON(a.Client(), "/webrtc/login", cred("carol", "whatever1")); r.Status != 429 {
		t.Errorf("after 8 failures from one address: %d, want 429", r.Status)
	}
}

func TestForwardedForNeedsTrustedProxy(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		a := newApp(t, "sqlite", func(c *config.Config) {
			c.LoginMaxIPFailures = 2
			if trusted {
				c.TrustedProxies = []string{"127.0.0.1"}
			}
		})
		fail := func(user, ip string) int {
			return a.PostJSON(a.Client(), "/webrtc/login", cred(user, "wrong password"), "X-Forwarded-For", ip).Status
		}
		fail("u1", "203.0.113.1")
		fail("u2", "203.0.113.2")
		got := fail("u3", "203.0.113.3")
		// Untrusted: all three come from 127.0.0.1, so the third is
		// throttled. Trusted: three distinct clients.
		want := map[bool]int{false: 429, true: 401}[trusted]
		if got != want {
			t.Errorf("trusted proxy %v: third failure got %d, want %d", trusted, got, want)
		}
	}
}

func TestSessionExpiry(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, func(c *config.Config) { c.SessionTTL = 1500 * time.Millisecond })
		c := a.Register("alice")
		if r := a.Do(c, "GET", "/webrtc/api/me", "", ""); r.Status != 200 {
			t.Fatalf("fresh session: %d", r.Status)
		}
		time.Sleep(1600 * time.Millisecond)
		if r := a.Do(c, "GET", "/webrtc/api/me", "", ""); r.Status != 401 {
			t.Errorf("expired session: %d, want 401", r.Status)
		}
	})
}

func TestCrossSiteRequestsRefused(t *testing.T) {
	a := newApp(t, "sqlite", func(c *config.Config) { c.AllowedOrigins = []string{"https://app.example.com"} })
	a.Register("alice")
	cases := []struct {
		header, value string
		status        int
	}{
		{"Origin", "https://evil.example", 403},
		{"Origin", "null", 403},
		{"Referer", "https://evil.example/page", 403},
		{"Origin", a.URL, 200},
		{"Origin", "https://app.example.com", 200},
		{"", "", 200}, // curl
	}
	for _, tc := range cases {
		r := a.PostJSON(a.Client(), "/webrtc/login", cred("alice", "password-alice"), tc.header, tc.value)
		if r.Status != tc.status {
			t.Errorf("%s %q: got %d, want %d", tc.header, tc.value, r.Status, tc.status)
		}
	}
}

func TestSecureCookieUnderTLS(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	tlsSrv := httptest.NewTLSServer(a.Handler)
	defer tlsSrv.Close()
	c := tlsSrv.Client()
	res, err := c.Post(tlsSrv.URL+"/webrtc/register", "application/json", strings.NewReader(`{"username":"alice","password":"password1"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if cookie := res.Header.Get("Set-Cookie"); !contains(cookie, "Secure") {
		t.Errorf("cookie over TLS lacks Secure: %q", cookie)
	}
}

// TestSecureCookieBehindTLSProxy: a proxy terminates TLS (BASE_URL https)
// and speaks plain HTTP to the server; the browser sees https, so the
// cookie must still be Secure.
func TestSecureCookieBehindTLSProxy(t *testing.T) {
	a := newApp(t, "sqlite", func(c *config.Config) { c.BaseURL = "https://calls.example.com" })
	r := a.PostJSON(a.Client(), "/webrtc/register", cred("alice", "password-alice"),
		"Host", "calls.example.com", "Origin", "https://calls.example.com")
	if r.Status != http.StatusCreated {
		t.Fatalf("register behind the proxy: %d %s", r.Status, r.Msg)
	}
	if cookie := r.Header.Get("Set-Cookie"); !contains(cookie, "Secure") {
		t.Errorf("cookie behind a TLS proxy lacks Secure: %q", cookie)
	}
}

func sessionCookie(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base, nil)
	for _, ck := range c.Jar.Cookies(req.URL) {
		if ck.Name == "callapp_session" {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func withCookie(a *app, token string) *http.Client {
	c := a.Client()
	req, _ := http.NewRequest("GET", a.URL, nil)
	c.Jar.SetCookies(req.URL, []*http.Cookie{{Name: "callapp_session", Value: token}})
	return c
}

func TestBaseURLOriginAllowed(t *testing.T) {
	a := newApp(t, "sqlite", func(c *config.Config) { c.BaseURL = "https://calls.example.com/" })
	r := a.PostJSON(a.Client(), "/webrtc/register", cred("alice", "password1"), "Origin", "https://calls.example.com")
	if r.Status != 201 {
		t.Errorf("post from BASE_URL's origin: %d %s", r.Status, r.Msg)
	}
}

// TestClientStringsThatAreNotUTF8: a User-Agent with bytes that are not
// UTF-8 (MySQL refuses them) neither fails registration or login nor
// leaves an account without its session; a username that is not UTF-8
// is a plain wrong login.
func TestClientStringsThatAreNotUTF8(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, nil)
		const agent = "User-Agent"
		bad := "Mozilla/5.0 \xff\xfe\xc3(" + strings.Repeat("\x80", 300) + ")"
		c := a.Client()
		if r := a.PostJSON(c, "/webrtc/register", cred("alice", "password1"), agent, bad); r.Status != http.StatusCreated {
			t.Fatalf("register: %d %q", r.Status, r.Msg)
		}
		if r := a.Do(c, "GET", "/webrtc/api/me", "", "", agent, bad); r.Status != http.StatusOK {
			t.Errorf("me after register: %d", r.Status)
		}
		c2 := a.Client()
		if r := a.PostJSON(c2, "/webrtc/login", cred("alice", "password1"), agent, bad); r.Status != http.StatusOK {
			t.Errorf("login: %d %q", r.Status, r.Msg)
		}
		form := "username=%FF%FEalice&password=password1"
		if r := a.Do(a.Client(), "POST", "/webrtc/login", "application/x-www-form-urlencoded", form); r.Status != http.StatusUnauthorized {
			t.Errorf("login as a name that is not UTF-8: %d %q", r.Status, r.Msg)
		}
	})
}
