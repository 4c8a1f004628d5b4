package controllers

import (
	"sync"
	"time"
)

// Throttle counts failed logins per username and per client IP over a
// sliding window. It lives in memory: one node's view of the failures.
type Throttle struct {
	maxUser, maxIP int
	window         time.Duration
	now            func() time.Time

	mu        sync.Mutex
	failures  map[string][]time.Time // "u:"+username key or "ip:"+address
	lastSweep time.Time
}

// NewThrottle allows maxUser failures per username and maxIP per address
// within window.
func NewThrottle(maxUser, maxIP int, window time.Duration) *Throttle {
	return &Throttle{maxUser: maxUser, maxIP: maxIP, window: window, now: time.Now,
		failures: make(map[string][]time.Time)}
}

// Blocked reports whether a login for this username key from ip must wait,
// and for how long.
func (t *Throttle) Blocked(userKey, ip string) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	wait := max(t.wait("u:"+userKey, t.maxUser, now), t.wait("ip:"+ip, t.maxIP, now))
	return wait, wait > 0
}

// wait is how long until key has fewer than limit failures in the window.
func (t *Throttle) wait(key string, limit int, now time.Time) time.Duration {
	times := t.recent(key, now)
	if len(times) < limit {
		return 0
	}
	return times[len(times)-limit].Add(t.window).Sub(now)
}

// recent drops failures older than the window and returns the rest.
func (t *Throttle) recent(key string, now time.Time) []time.Time {
	times := t.failures[key]
	i := 0
	for i < len(times) && now.Sub(times[i]) >= t.window {
		i++
	}
	if i == len(times) {
		delete(t.failures, key)
		return nil
	}
	t.failures[key] = times[i:]
	return times[i:]
}

// Fail records a failed login.
func (t *Throttle) Fail(userKey, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.add("u:"+userKey, t.maxUser, now)
	t.add("ip:"+ip, t.maxIP, now)
	if now.Sub(t.lastSweep) > time.Minute {
		t.lastSweep = now
		for key := range t.failures {
			t.recent(key, now)
		}
	}
}

func (t *Throttle) add(key string, limit int, now time.Time) {
	times := append(t.recent(key, now), now)
	if len(times) > limit { // older entries no longer decide anything
		times = times[len(times)-limit:]
	}
	t.failures[key] = times
}

// Succeed forgets the username's failures after a good login.
func (t *Throttle) Succeed(userKey string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, "u:"+userKey)
}
