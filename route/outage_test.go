package route_test

import (
	"net/http"
	"testing"
	"time"

	"callapp/dao"
	"callapp/dao/daotest"
)

// outageWait is how long a client waits for an answer while the database
// does not answer: above the deadlines under test, far below a hang.
const outageWait = 3 * time.Second

// openBehindProxy opens a DAO on a fresh MySQL database reached through a
// proxy the test can blackhole; timeout is the DAO's (DB_TIMEOUT).
func openBehindProxy(t *testing.T, timeout time.Duration) (*dao.DAO, *daotest.Proxy) {
	t.Helper()
	opts, proxy := daotest.MySQLBehindProxy(t)
	opts.Timeout = timeout
	db, err := dao.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, proxy
}

func TestDatabaseThatStopsAnsweringGives503(t *testing.T) {
	db, proxy := openBehindProxy(t, 300*time.Millisecond)
	a := newAppOn(t, db, nil)
	alice := a.Register("alice")
	alice.Timeout = outageWait
	stranger := a.Client()
	stranger.Timeout = outageWait

	proxy.Set(daotest.Blackhole)
	if r := a.Do(stranger, "GET", "/healthz", "", ""); r.Status != http.StatusServiceUnavailable || r.Msg != "database unavailable" {
		t.Errorf("healthz: %d %q", r.Status, r.Msg)
	}
	const unavailable = "database unavailable; try again later"
	if r := a.Do(alice, "GET", "/webrtc/api/me", "", ""); r.Status != http.StatusServiceUnavailable || r.Code != 1 || r.Msg != unavailable {
		t.Errorf("me: %d %d %q", r.Status, r.Code, r.Msg)
	}
	if r := a.PostJSON(stranger, "/webrtc/login", cred("alice", "password-alice")); r.Status != http.StatusServiceUnavailable || r.Msg != unavailable {
		t.Errorf("login: %d %q", r.Status, r.Msg)
	}
	if r := a.PostJSON(stranger, "/webrtc/register", cred("bob", "password-bob")); r.Status != http.StatusServiceUnavailable || r.Msg != unavailable {
		t.Errorf("register: %d %q", r.Status, r.Msg)
	}

	proxy.Set(daotest.Forward)
	if r := a.Do(stranger, "GET", "/healthz", "", ""); r.Status != http.StatusOK {
		t.Errorf("healthz once the database answers again: %d %q", r.Status, r.Msg)
	}
	if r := a.Do(alice, "GET", "/webrtc/api/me", "", ""); r.Status != http.StatusOK {
		t.Errorf("me once the database answers again: %d %q", r.Status, r.Msg)
	}
}

// TestHealthzAnswersBeforeALongDatabaseTimeout: /healthz has a deadline
// of its own, for databases given a long DB_TIMEOUT.
func TestHealthzAnswersBeforeALongDatabaseTimeout(t *testing.T) {
	db, proxy := openBehindProxy(t, time.Minute)
	a := newAppOn(t, db, nil)
	c := a.Client()
	c.Timeout = outageWait
	proxy.Set(daotest.Blackhole)
	if r := a.Do(c, "GET", "/healthz", "", ""); r.Status != http.StatusServiceUnavailable {
		t.Errorf("healthz: %d %q", r.Status, r.Msg)
	}
}
