package route_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"callapp/config"
)

// behindProxy trusts loopback's X-Forwarded-For, so a test can speak from
// many addresses.
func behindProxy(tweak func(*config.Config)) func(*config.Config) {
	return func(c *config.Config) {
		c.TrustedProxies = []string{"127.0.0.1"}
		if tweak != nil {
			tweak(c)
		}
	}
}

// loginFrom posts a login as if from ip.
func (a *app) loginFrom(user, pw, ip string) reply {
	return a.PostJSON(a.Client(), "/webrtc/login", cred(user, pw), "X-Forwarded-For", ip)
}

// 36 wrong passwords at once to one account from one address: at most the
// limit of them is checked (401), the rest are refused (429) without a
// check, and then the right password from that address is refused too.
func TestParallelGuessesAreThrottled(t *testing.T) {
	a := newApp(t, "sqlite", behindProxy(nil))
	a.Register("alice")
	const attacker = "203.0.113.7"
	statuses := make(chan reply, 36)
	var wg sync.WaitGroup
	for range 36 {
		wg.Go(func() { statuses <- a.loginFrom("alice", "wrong password", attacker) })
	}
	wg.Wait()
	close(statuses)
	checked := 0
	for r := range statuses {
		switch {
		case r.Status == http.StatusUnauthorized:
			checked++
		case r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "":
			t.Errorf("a parallel guess: %d Retry-After %q, want 401 or 429 with Retry-After", r.Status, r.Header.Get("Retry-After"))
		}
	}
	if checked > 5 {
		t.Errorf("%d of 36 parallel guesses were checked, want at most LOGIN_MAX_USER_FAILURES 5", checked)
	}
	if r := a.loginFrom("alice", "password-alice", attacker); r.Status != http.StatusTooManyRequests {
		t.Errorf("the right password as guess 37: %d, want 429", r.Status)
	}
}

// A stranger's failures lock the stranger out, not the owner: the right
// password from another address gets in.
func TestStrangerCannotLockOwnerOut(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := newApp(t, driver, behindProxy(nil))
		a.Register("alice")
		for i := range 5 {
			if r := a.loginFrom("alice", "wrong password", "203.0.113.7"); r.Status != http.StatusUnauthorized {
				t.Fatalf("stranger's failure %d: %d", i+1, r.Status)
			}
		}
		r := a.loginFrom("alice", "password-alice", "203.0.113.7")
		if retry, _ := strconv.Atoi(r.Header.Get("Retry-After")); r.Status != http.StatusTooManyRequests || retry < 60 {
			t.Errorf("the stranger's sixth try: %d Retry-After %q, want 429 for minutes", r.Status, r.Header.Get("Retry-After"))
		}
		if r := a.loginFrom("alice", "password-alice", "198.51.100.2"); r.Status != http.StatusOK {
			t.Errorf("the owner from her own address after a stranger's failures: %d %q, want 200", r.Status, r.Msg)
		}
	})
}

// Failures from many addresses past LOGIN_ACCOUNT_SLOWDOWN_AFTER slow the
// account's logins but never refuse them: every guess is still answered
// 401, and the owner still gets in.
func TestAccountCeilingSlowsNotRefuses(t *testing.T) {
	a := newApp(t, "sqlite", behindProxy(func(c *config.Config) {
		c.LoginAccountSlowdownAfter = 3
		c.LoginAccountMaxDelay = time.Millisecond
	}))
	a.Register("alice")
	for i := range 8 {
		ip := "203.0.113." + strconv.Itoa(i+1)
		if r := a.loginFrom("alice", "wrong password", ip); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d (from %s): %d, want 401: the ceiling slows, never refuses", i+1, ip, r.Status)
		}
	}
	if r := a.loginFrom("alice", "password-alice", "198.51.100.2"); r.Status != http.StatusOK {
		t.Errorf("the owner past the account's ceiling: %d %q, want 200", r.Status, r.Msg)
	}
}
