package controllers

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// clockedThrottle returns a throttle whose clock the test moves with set.
func clockedThrottle(maxUser, maxIP int, window time.Duration) (th *Throttle, set func(time.Duration)) {
	th = NewThrottle(maxUser, maxIP, window)
	now := t0
	th.now = func() time.Time { return now }
	return th, func(d time.Duration) { now = t0.Add(d) }
}

// check is one Blocked question at a moment after t0.
type check struct {
	at       time.Duration
	user, ip string
	wait     time.Duration // 0: not blocked
}

func (c check) run(t *testing.T, th *Throttle, set func(time.Duration)) {
	t.Helper()
	set(c.at)
	wait, blocked := th.Blocked(c.user, c.ip)
	if wait != c.wait || blocked != (c.wait > 0) {
		t.Errorf("at +%v Blocked(%s, %s) = %v, %v; want %v, %v", c.at, c.user, c.ip, wait, blocked, c.wait, c.wait > 0)
	}
}

func TestThrottleUserLimit(t *testing.T) {
	th, set := clockedThrottle(3, 10, 15*time.Minute)
	for _, at := range []time.Duration{0, time.Minute} {
		set(at)
		th.Fail("alice", "192.0.2.1")
	}
	check{time.Minute, "alice", "192.0.2.1", 0}.run(t, th, set) // 2 of 3
	set(2 * time.Minute)
	th.Fail("alice", "192.0.2.1")
	for _, c := range []check{
		{2 * time.Minute, "alice", "192.0.2.1", 13 * time.Minute}, // until the first failure leaves the window
		{2 * time.Minute, "alice", "198.51.100.9", 13 * time.Minute},
		{2 * time.Minute, "bob", "192.0.2.1", 0}, // same IP, other user: 3 of 10
		{14*time.Minute + 59*time.Second, "alice", "192.0.2.1", time.Second},
		{15 * time.Minute, "alice", "192.0.2.1", 0}, // the first failure expired
	} {
		c.run(t, th, set)
	}
	// The window slides: one more failure now blocks until +1m leaves it.
	th.Fail("alice", "192.0.2.1")
	check{15 * time.Minute, "alice", "192.0.2.1", time.Minute}.run(t, th, set)
	check{17 * time.Minute, "alice", "192.0.2.1", 0}.run(t, th, set)
}

func TestThrottleIPLimit(t *testing.T) {
	th, set := clockedThrottle(5, 20, 15*time.Minute)
	for i := range 19 {
		set(time.Duration(i) * time.Second)
		th.Fail(fmt.Sprintf("user%d", i), "203.0.113.5")
	}
	check{19 * time.Second, "fresh", "203.0.113.5", 0}.run(t, th, set)
	th.Fail("user19", "203.0.113.5")
	for _, c := range []check{
		{19 * time.Second, "fresh", "203.0.113.5", 15*time.Minute - 19*time.Second}, // until the +0 failure leaves
		{10 * time.Minute, "fresh", "203.0.113.5", 5 * time.Minute},
		{10 * time.Minute, "fresh", "203.0.113.6", 0},
		{10 * time.Minute, "user3", "203.0.113.6", 0}, // one failure per user: under 5
		{15*time.Minute - time.Second, "fresh", "203.0.113.5", time.Second},
		{15 * time.Minute, "fresh", "203.0.113.5", 0}, // 19 left in the window
	} {
		c.run(t, th, set)
	}
}

func TestThrottleWaitIsTheLongerLimit(t *testing.T) {
	th, set := clockedThrottle(2, 3, 10*time.Minute)
	th.Fail("x", "192.0.2.7") // IP's oldest
	set(2 * time.Minute)
	th.Fail("alice", "192.0.2.7")
	set(4 * time.Minute)
	th.Fail("alice", "192.0.2.7")
	// User: blocked until +2m+10m; IP: until +0+10m. Alice must wait for both.
	check{4 * time.Minute, "alice", "192.0.2.7", 8 * time.Minute}.run(t, th, set)
	check{4 * time.Minute, "bob", "192.0.2.7", 6 * time.Minute}.run(t, th, set)
	check{4 * time.Minute, "alice", "198.51.100.1", 8 * time.Minute}.run(t, th, set)
}

func TestThrottleSucceedClearsUserNotIP(t *testing.T) {
	th, set := clockedThrottle(3, 5, 15*time.Minute)
	ip := "192.0.2.44"
	th.Fail("alice", ip)
	th.Fail("alice", ip)
	th.Fail("bob", ip)
	th.Fail("bob", ip)
	th.Succeed("alice")
	th.Fail("alice", ip) // would be alice's third without Succeed
	check{0, "alice", "198.51.100.1", 0}.run(t, th, set)
	// The IP saw 5 failures; a good password for alice does not forgive them.
	check{0, "carol", ip, 15 * time.Minute}.run(t, th, set)
	check{0, "alice", ip, 15 * time.Minute}.run(t, th, set)
	th.Succeed("nobody") // forgetting an unknown user is harmless
}

func TestThrottleSweepsExpiredKeys(t *testing.T) {
	th, set := clockedThrottle(5, 20, 15*time.Minute)
	const n = 5000
	for i := range n {
		set(time.Duration(i) * time.Millisecond)
		th.Fail(fmt.Sprintf("user%d", i), fmt.Sprintf("10.0.%d.%d", i/256, i%256))
	}
	if got := len(th.failures); got != 2*n {
		t.Fatalf("%d keys after %d failures, want %d", got, n, 2*n)
	}
	// Inside the window a sweep keeps what still counts.
	set(10 * time.Minute)
	th.Fail("late", "192.0.2.1")
	if got := len(th.failures); got != 2*n+2 {
		t.Errorf("%d keys inside the window, want %d", got, 2*n+2)
	}
	// After the window the next failure sweeps every stale key away.
	set(17 * time.Minute)
	th.Fail("later", "192.0.2.2")
	if got := len(th.failures); got != 4 {
		t.Errorf("%d keys after the window, want 4 (late and later, user and IP): failures leak memory", got)
	}
}

func TestThrottleBoundsOneKey(t *testing.T) {
	th, set := clockedThrottle(5, 20, 15*time.Minute)
	for i := range 1000 {
		set(time.Duration(i) * 100 * time.Millisecond)
		th.Fail("victim", fmt.Sprintf("10.1.%d.%d", i/256, i%256))
	}
	if got := len(th.failures["u:victim"]); got > 5 {
		t.Errorf("one username keeps %d failure times, want at most the limit 5", got)
	}
	// Still blocked until the 5th-newest failure (at +99.5s) leaves the window.
	check{100 * time.Second, "victim", "192.0.2.1", 15*time.Minute - 500*time.Millisecond}.run(t, th, set)
}

func TestThrottleConcurrentUse(t *testing.T) {
	th := NewThrottle(5, 20, time.Minute)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				user, ip := fmt.Sprintf("u%d", i%7), fmt.Sprintf("10.2.0.%d", g)
				th.Fail(user, ip)
				th.Blocked(user, ip)
				if i%10 == 0 {
					th.Succeed(user)
				}
			}
		})
	}
	wg.Wait()
	if _, blocked := th.Blocked("u1", "10.2.0.1"); !blocked {
		t.Error("200 failures from one IP did not block it")
	}
}
