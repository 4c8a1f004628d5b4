package signal

import (
	"testing"
	"time"
)

func TestChatLimitersForgetFullBuckets(t *testing.T) {
	l := newUserLimiters(1, 2) // 1 a second, bursts of 2
	t0 := time.Now()
	if !l.allowAt(1, t0) || !l.allowAt(1, t0) || l.allowAt(1, t0) {
		t.Fatal("user 1: want two messages through, the third refused")
	}
	l.allowAt(2, t0)
	// A minute on, both buckets are full again: the sweep drops them, and
	// user 1 gets a whole burst, as a new limiter would give.
	later := t0.Add(limiterSweep + time.Second)
	if !l.allowAt(3, later) {
		t.Fatal("user 3 refused")
	}
	if _, ok := l.m[1]; ok {
		t.Error("user 1's full bucket is still kept")
	}
	if _, ok := l.m[2]; ok {
		t.Error("user 2's full bucket is still kept")
	}
	if !l.allowAt(1, later) || !l.allowAt(1, later) || l.allowAt(1, later) {
		t.Error("user 1 after the sweep: want a burst of two, then refused")
	}
	// A bucket still refilling is kept through a sweep: dropping it would
	// hand out a fresh burst early.
	l.allowAt(4, later) // user 4 has one token left, needs 1 s to refill
	l.sweep(later.Add(500 * time.Millisecond))
	if _, ok := l.m[4]; !ok {
		t.Error("user 4's refilling bucket was dropped")
	}
}
