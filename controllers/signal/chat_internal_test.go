package signal

import (
	"slices"
	"testing"
	"time"
)

func TestChatLimitersForgetFullBuckets(t *testing.T) {
	l := newUserLimiters(1, 2) // 1 a second, bursts of 2
	t0 := time.Now()
	if got := allowThree(l, 1, t0); !slices.Equal(got, burstOfTwo) {
		t.Fatalf("user 1: got %v, want two messages through, the third refused", got)
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
	if got := allowThree(l, 1, later); !slices.Equal(got, burstOfTwo) {
		t.Errorf("user 1 after the sweep: got %v, want a burst of two, then refused", got)
	}
	// A bucket still refilling is kept through a sweep: dropping it would
	// hand out a fresh burst early.
	l.allowAt(4, later) // user 4 has one token left, needs 1 s to refill
	l.sweep(later.Add(500 * time.Millisecond))
	if _, ok := l.m[4]; !ok {
		t.Error("user 4's refilling bucket was dropped")
	}
}

// burstOfTwo is what three messages at once get from a limiter with bursts
// of two.
var burstOfTwo = []bool{true, true, false}

// allowThree asks l for three messages from user at the same instant, in
// order, and returns its answers.
func allowThree(l *userLimiters, user uint64, at time.Time) []bool {
	return []bool{l.allowAt(user, at), l.allowAt(user, at), l.allowAt(user, at)}
}
