package controllers

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// limits are the defaults' shape with a short list of knobs per test.
func limits(perPair, perAddress int, window time.Duration) ThrottleLimits {
	return ThrottleLimits{PerPair: perPair, PerAddress: perAddress, SlowAfter: 1000, MaxDelay: time.Second, Window: window}
}

// clockedThrottle returns a throttle whose clock the test moves with set
// and whose delays are recorded in slept instead of slept through.
func clockedThrottle(lim ThrottleLimits) (th *Throttle, set func(time.Duration), slept *[]time.Duration) {
	th = NewThrottle(lim)
	now := t0
	var mu sync.Mutex
	slept = new([]time.Duration)
	th.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	th.sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		*slept = append(*slept, d)
		return nil
	}
	return th, func(d time.Duration) { mu.Lock(); now = t0.Add(d); mu.Unlock() }, slept
}

// fail is a login whose password was wrong: reserved and left counted.
func fail(t *testing.T, th *Throttle, user, ip string) {
	t.Helper()
	if a, wait := th.Reserve(user, ip); a == nil {
		t.Fatalf("Reserve(%s, %s) refused (wait %v) where a failure was meant", user, ip, wait)
	}
}

// check is one question at a moment after t0: would a login be refused,
// and for how long. It leaves nothing counted.
type check struct {
	at       time.Duration
	user, ip string
	wait     time.Duration // 0: allowed
}

func (c check) run(t *testing.T, th *Throttle, set func(time.Duration)) {
	t.Helper()
	set(c.at)
	a, wait := th.Reserve(c.user, c.ip)
	if a != nil {
		a.Release()
	}
	if wait != c.wait || (a == nil) != (c.wait > 0) {
		t.Errorf("at +%v Reserve(%s, %s) = %v, %v; want refused %v for %v", c.at, c.user, c.ip, a, wait, c.wait > 0, c.wait)
	}
}

func TestThrottlePairLimit(t *testing.T) {
	th, set, _ := clockedThrottle(limits(3, 10, 15*time.Minute))
	for _, at := range []time.Duration{0, time.Minute} {
		set(at)
		fail(t, th, "alice", "192.0.2.1")
	}
	check{time.Minute, "alice", "192.0.2.1", 0}.run(t, th, set) // 2 of 3
	set(2 * time.Minute)
	fail(t, th, "alice", "192.0.2.1")
	for _, c := range []check{
		{2 * time.Minute, "alice", "192.0.2.1", 13 * time.Minute}, // until the first failure leaves the window
		{2 * time.Minute, "alice", "198.51.100.9", 0},             // the owner elsewhere is not locked out
		{2 * time.Minute, "bob", "192.0.2.1", 0},                  // same IP, other user: 3 of 10
		{14*time.Minute + 59*time.Second, "alice", "192.0.2.1", time.Second},
		{15 * time.Minute, "alice", "192.0.2.1", 0}, // the first failure expired
	} {
		c.run(t, th, set)
	}
	// The window slides: one more failure now blocks until +1m leaves it.
	fail(t, th, "alice", "192.0.2.1")
	check{15 * time.Minute, "alice", "192.0.2.1", time.Minute}.run(t, th, set)
	check{17 * time.Minute, "alice", "192.0.2.1", 0}.run(t, th, set)
}

func TestThrottleIPLimit(t *testing.T) {
	th, set, _ := clockedThrottle(limits(5, 20, 15*time.Minute))
	for i := range 19 {
		set(time.Duration(i) * time.Second)
		fail(t, th, fmt.Sprintf("user%d", i), "203.0.113.5")
	}
	check{19 * time.Second, "fresh", "203.0.113.5", 0}.run(t, th, set)
	fail(t, th, "user19", "203.0.113.5")
	for _, c := range []check{
		{19 * time.Second, "fresh", "203.0.113.5", 15*time.Minute - 19*time.Second}, // until the +0 failure leaves
		{10 * time.Minute, "fresh", "203.0.113.5", 5 * time.Minute},
		{10 * time.Minute, "fresh", "203.0.113.6", 0},
		{10 * time.Minute, "user3", "203.0.113.6", 0},
		{15*time.Minute - time.Second, "fresh", "203.0.113.5", time.Second},
		{15 * time.Minute, "fresh", "203.0.113.5", 0}, // 19 left in the window
	} {
		c.run(t, th, set)
	}
}

func TestThrottleWaitIsTheLongerLimit(t *testing.T) {
	th, set, _ := clockedThrottle(limits(2, 3, 10*time.Minute))
	fail(t, th, "x", "192.0.2.7") // IP's oldest
	set(2 * time.Minute)
	fail(t, th, "alice", "192.0.2.7")
	set(4 * time.Minute)
	fail(t, th, "alice", "192.0.2.7")
	// Pair: blocked until +2m+10m; IP: until +0+10m. Alice must wait for both.
	check{4 * time.Minute, "alice", "192.0.2.7", 8 * time.Minute}.run(t, th, set)
	check{4 * time.Minute, "bob", "192.0.2.7", 6 * time.Minute}.run(t, th, set)
	check{4 * time.Minute, "alice", "198.51.100.1", 0}.run(t, th, set)
}

// Parallel guesses are counted before any is checked: of 40 at once, only
// the limits' worth may go on to bcrypt.
func TestThrottleReservesBeforeCheck(t *testing.T) {
	th := NewThrottle(limits(5, 20, 15*time.Minute))
	granted := func(user func(int) string, ip string) int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		n := 0
		for i := range 40 {
			wg.Go(func() {
				if a, _ := th.Reserve(user(i), ip); a != nil {
					mu.Lock()
					n++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return n
	}
	if n := granted(func(int) string { return "alice" }, "192.0.2.1"); n != 5 {
		t.Errorf("40 parallel guesses at one account from one address: %d allowed, want the pair limit 5", n)
	}
	if n := granted(func(i int) string { return fmt.Sprint("user", i) }, "192.0.2.2"); n != 20 {
		t.Errorf("40 parallel guesses at 40 accounts from one address: %d allowed, want the address limit 20", n)
	}
}

func TestThrottleSucceedAndRelease(t *testing.T) {
	lim := limits(3, 5, 15*time.Minute)
	lim.SlowAfter = 5
	th, set, _ := clockedThrottle(lim)
	ip := "192.0.2.44"
	fail(t, th, "alice", ip)
	fail(t, th, "alice", "198.51.100.1")
	fail(t, th, "bob", ip)
	a, _ := th.Reserve("alice", ip)
	a.Succeed()
	a.Succeed() // a second call changes nothing
	// The right password forgot alice's failure from this address and
	// was not itself counted: a full three failures here are allowed.
	fail(t, th, "alice", ip)
	fail(t, th, "alice", ip)
	fail(t, th, "alice", ip)
	check{0, "alice", ip, 15 * time.Minute}.run(t, th, set)
	// Her account's failures, from here and elsewhere, still count toward
	// her ceiling: 5 of 5.
	if a, _ := th.Reserve("alice", "203.0.113.9"); a == nil || a.Delay() == 0 {
		t.Errorf("alice's slowdown forgot the failure from another address: %v", a)
	}
	// The address's other failures are not forgiven: alice's first and
	// bob's with three more make its 5.
	check{0, "carol", ip, 15 * time.Minute}.run(t, th, set)

	r, _ := th.Reserve("dave", "192.0.2.45")
	r.Release()
	r.Release()
	if _, ok := th.failures[pairKey("dave", "192.0.2.45")]; ok || th.failures[addrKey("192.0.2.45")] != nil {
		t.Errorf("a released attempt is still counted: %v", th.failures)
	}
}

// Past the ceiling an account's logins wait longer with each failure, from
// whatever address, up to the maximum, and are never refused.
func TestThrottleAccountSlowdown(t *testing.T) {
	lim := limits(5, 20, 15*time.Minute)
	lim.SlowAfter, lim.MaxDelay = 3, 350*time.Millisecond
	th, set, slept := clockedThrottle(lim)
	want := []time.Duration{0, 0, 0, firstDelay, 2 * firstDelay, lim.MaxDelay, lim.MaxDelay, lim.MaxDelay}
	for i, w := range want {
		a, wait := th.Reserve("alice", fmt.Sprintf("10.0.0.%d", i))
		if a == nil {
			t.Fatalf("login %d to alice from a fresh address refused for %v: the ceiling must slow, not refuse", i+1, wait)
		}
		if a.Delay() != w {
			t.Errorf("login %d: delay %v, want %v", i+1, a.Delay(), w)
		}
		if err := a.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(*slept); got != fmt.Sprint(want[3:]) {
		t.Errorf("slept %s, want %s (no sleep without a delay)", got, fmt.Sprint(want[3:]))
	}
	if a, _ := th.Reserve("bob", "10.0.0.1"); a == nil || a.Delay() != 0 {
		t.Errorf("bob slowed by alice's failures: %v", a)
	}
	set(15 * time.Minute) // the failures leave the window
	if a, _ := th.Reserve("alice", "10.0.0.99"); a == nil || a.Delay() != 0 {
		t.Errorf("alice still slowed after the window: %v", a)
	}
}

// A client that leaves stops waiting at once.
func TestAttemptWaitHonoursContext(t *testing.T) {
	lim := limits(5, 20, 15*time.Minute)
	lim.SlowAfter, lim.MaxDelay = 1, time.Hour
	th := NewThrottle(lim)
	fail(t, th, "alice", "10.0.0.1")
	a, _ := th.Reserve("alice", "10.0.0.2")
	if a == nil || a.Delay() == 0 {
		t.Fatalf("second login not delayed: %v", a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Wait(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("Wait after the client left = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait kept sleeping after the client left")
	}
}

func TestThrottleSweepsExpiredKeys(t *testing.T) {
	th, set, _ := clockedThrottle(limits(5, 20, 15*time.Minute))
	const n = 5000
	for i := range n {
		set(time.Duration(i) * time.Millisecond)
		fail(t, th, fmt.Sprintf("user%d", i), fmt.Sprintf("10.0.%d.%d", i/256, i%256))
	}
	if got := len(th.failures); got != 3*n {
		t.Fatalf("%d keys after %d failures, want %d (pair, address, account)", got, n, 3*n)
	}
	// Inside the window a sweep keeps what still counts.
	set(10 * time.Minute)
	fail(t, th, "late", "192.0.2.1")
	if got := len(th.failures); got != 3*n+3 {
		t.Errorf("%d keys inside the window, want %d", got, 3*n+3)
	}
	// After the window the next failure sweeps every stale key away.
	set(17 * time.Minute)
	fail(t, th, "later", "192.0.2.2")
	if got := len(th.failures); got != 6 {
		t.Errorf("%d keys after the window, want 6 (late and later): failures leak memory", got)
	}
}

func TestThrottleBoundsOneKey(t *testing.T) {
	lim := limits(5, 20, 15*time.Minute)
	lim.SlowAfter, lim.MaxDelay = 50, 10*time.Second
	th, set, _ := clockedThrottle(lim)
	for i := range 1000 {
		set(time.Duration(i) * 100 * time.Millisecond)
		fail(t, th, "victim", fmt.Sprintf("10.1.%d.%d", i/256, i%256))
	}
	if got := len(th.failures[accountKey("victim")]); got > th.keepAccount || th.keepAccount > 2*lim.SlowAfter {
		t.Errorf("one username keeps %d failure times (at most %d), want about the ceiling %d", got, th.keepAccount, lim.SlowAfter)
	}
	a, _ := th.Reserve("victim", "192.0.2.1")
	if a == nil || a.Delay() != lim.MaxDelay {
		t.Errorf("after 1000 failures the delay is %v, want the maximum %v", a, lim.MaxDelay)
	}
}

func TestThrottleConcurrentUse(t *testing.T) {
	th := NewThrottle(limits(5, 20, time.Minute))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				user, ip := fmt.Sprintf("u%d", i%7), fmt.Sprintf("10.2.0.%d", g)
				a, _ := th.Reserve(user, ip)
				switch {
				case a == nil:
				case i%10 == 0:
					a.Succeed()
				case i%10 == 1:
					a.Release()
				}
			}
		})
	}
	wg.Wait()
	if a, _ := th.Reserve("u1", "10.2.0.1"); a != nil {
		t.Error("200 failures from one IP did not block it")
	}
}
