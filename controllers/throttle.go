package controllers

import (
	"context"
	"sync"
	"time"
)

// firstDelay is the wait of the first login past an account's slowdown
// ceiling; each further failure doubles it up to ThrottleLimits.MaxDelay.
const firstDelay = 100 * time.Millisecond

// ThrottleLimits are the login throttle's settings.
type ThrottleLimits struct {
	PerPair    int           // failures of one account from one address before 429
	PerAddress int           // failures from one address, all accounts, before 429
	SlowAfter  int           // failures of one account from all addresses before logins to it are delayed
	MaxDelay   time.Duration // the longest such delay
	Window     time.Duration // how long a failure counts
}

// Throttle limits password guessing. Every login is counted as a failure
// before its password is checked, so parallel guesses cannot outrun the
// count, and uncounted when it turns out right. Failures are counted per
// (account, address) pair and per address, which refuse with 429, and per
// account across addresses, which only slows: a stranger's guesses must
// not lock the owner out. It lives in memory: one node's view.
type Throttle struct {
	lim         ThrottleLimits
	keepAccount int // account failures that still change the delay
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error

	mu        sync.Mutex
	failures  map[string][]time.Time // keys from pairKey, addrKey, accountKey
	lastSweep time.Time
}

// NewThrottle returns a throttle with the given limits.
func NewThrottle(lim ThrottleLimits) *Throttle {
	keep := lim.SlowAfter + 1
	for d := firstDelay; d < lim.MaxDelay; d *= 2 {
		keep++
	}
	return &Throttle{lim: lim, keepAccount: keep, now: time.Now, sleep: sleepCtx,
		failures: make(map[string][]time.Time)}
}

// An address holds no newline, so a pair key cannot collide with another.
func pairKey(account, ip string) string { return "p:" + ip + "\n" + account }
func addrKey(ip string) string          { return "ip:" + ip }
func accountKey(account string) string  { return "a:" + account }

// Reserve counts a login to account from ip as a failure before its
// password is checked. At a refusing limit it returns nil and how long
// until the attempt would be allowed.
func (t *Throttle) Reserve(account, ip string) (*Attempt, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	a := &Attempt{t: t, keys: [3]string{pairKey(account, ip), addrKey(ip), accountKey(account)}, at: now}
	if wait := max(t.wait(a.keys[0], t.lim.PerPair, now), t.wait(a.keys[1], t.lim.PerAddress, now)); wait > 0 {
		return nil, wait
	}
	a.delay = t.delay(len(t.recent(a.keys[2], now)))
	t.add(a.keys[0], t.lim.PerPair, now)
	t.add(a.keys[1], t.lim.PerAddress, now)
	t.add(a.keys[2], t.keepAccount, now)
	t.sweep(now)
	return a, 0
}

// delay is how long a login waits when its account already has n
// failures from all addresses together.
func (t *Throttle) delay(n int) time.Duration {
	if n < t.lim.SlowAfter {
		return 0
	}
	d := firstDelay
	for i := t.lim.SlowAfter; i < n && d < t.lim.MaxDelay; i++ {
		d *= 2
	}
	return min(d, t.lim.MaxDelay)
}

// wait is how long until key has fewer than limit failures in the window.
func (t *Throttle) wait(key string, limit int, now time.Time) time.Duration {
	times := t.recent(key, now)
	if len(times) < limit {
		return 0
	}
	return times[len(times)-limit].Add(t.lim.Window).Sub(now)
}

// recent drops failures older than the window and returns the rest.
func (t *Throttle) recent(key string, now time.Time) []time.Time {
	times := t.failures[key]
	i := 0
	for i < len(times) && now.Sub(times[i]) >= t.lim.Window {
		i++
	}
	if i == len(times) {
		delete(t.failures, key)
		return nil
	}
	t.failures[key] = times[i:]
	return times[i:]
}

func (t *Throttle) add(key string, keep int, now time.Time) {
	times := append(t.recent(key, now), now)
	if len(times) > keep { // older entries no longer decide anything
		times = times[len(times)-keep:]
	}
	t.failures[key] = times
}

// sweep drops expired keys, at most once a minute, so that failures
// against many names and from many addresses do not pile up.
func (t *Throttle) sweep(now time.Time) {
	if now.Sub(t.lastSweep) <= time.Minute {
		return
	}
	t.lastSweep = now
	for key := range t.failures {
		t.recent(key, now)
	}
}

// uncount removes one failure recorded at at from key, if still there.
func (t *Throttle) uncount(key string, at time.Time) {
	times := t.failures[key]
	for i := len(times) - 1; i >= 0; i-- {
		if times[i].Equal(at) {
			times = append(times[:i:i], times[i+1:]...)
			break
		}
	}
	if len(times) == 0 {
		delete(t.failures, key)
		return
	}
	t.failures[key] = times
}

// Attempt is one login counted by Reserve. Left alone it stays counted as
// a failure.
type Attempt struct {
	t     *Throttle
	keys  [3]string // pair, address, account
	at    time.Time
	delay time.Duration
	done  bool // guarded by t.mu
}

// Delay is how long the login must wait before its password is checked,
// because its account is failing from many addresses.
func (a *Attempt) Delay() time.Duration { return a.delay }

// Wait sleeps the attempt's delay, or until ctx ends (the client left).
// It holds no hashing slot meanwhile: the caller hashes afterwards.
func (a *Attempt) Wait(ctx context.Context) error {
	if a.delay <= 0 {
		return nil
	}
	return a.t.sleep(ctx, a.delay)
}

// Succeed uncounts the attempt and forgets its account's failures from its
// address: the password was right. Failures from other addresses stay.
func (a *Attempt) Succeed() {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	a.releaseLocked()
	delete(a.t.failures, a.keys[0])
}

// Release uncounts the attempt: its password was never checked, or was
// right for a disabled account.
func (a *Attempt) Release() {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	a.releaseLocked()
}

func (a *Attempt) releaseLocked() {
	if a.done {
		return
	}
	a.done = true
	for _, key := range a.keys {
		a.t.uncount(key, a.at)
	}
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
