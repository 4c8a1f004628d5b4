package password

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func newHasher(t *testing.T, cost, parallel int) *Hasher {
	t.Helper()
	h, err := New(cost, parallel)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashCompareRoundTrip(t *testing.T) {
	h := newHasher(t, bcrypt.MinCost, 4)
	ctx := context.Background()
	hash, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost(hash); err != nil || cost != bcrypt.MinCost {
		t.Errorf("hash cost %d (%v), want the configured %d", cost, err, bcrypt.MinCost)
	}
	if strings.Contains(string(hash), "correct horse") {
		t.Error("hash contains the password")
	}
	tests := []struct {
		pw   string
		want error
	}{
		{"correct horse battery", nil},
		{"correct horse batterY", ErrMismatch},
		{"correct horse battery ", ErrMismatch},
		{"", ErrMismatch},
	}
	for _, tt := range tests {
		if err := h.Compare(ctx, hash, tt.pw); !errors.Is(err, tt.want) {
			t.Errorf("Compare(%q) = %v, want %v", tt.pw, err, tt.want)
		}
	}
	again, _ := h.Hash(ctx, "correct horse battery")
	if string(again) == string(hash) {
		t.Error("two hashes of one password are equal: no salt")
	}
	if _, err := h.Hash(ctx, strings.Repeat("x", 73)); err == nil {
		t.Error("Hash accepted 73 bytes, which bcrypt would silently truncate")
	}
}

func TestNewBadCost(t *testing.T) {
	if _, err := New(bcrypt.MaxCost+1, 1); err == nil {
		t.Error("New with a cost above bcrypt's maximum succeeded")
	}
	if h := newHasher(t, bcrypt.MinCost, 0); cap(h.sem) != 1 {
		t.Errorf("parallel 0 gave a cap of %d, want 1", cap(h.sem))
	}
}

// An unknown user (nil hash) must cost a real bcrypt compare at the
// configured cost, inside the concurrency cap, and then fail.
func TestCompareNilHash(t *testing.T) {
	const cost = 6 // above MinCost, cheap even under -race
	h := newHasher(t, cost, 2)
	ctx := context.Background()
	if err := h.Compare(ctx, nil, "anything at all"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Compare(nil) = %v, want ErrMismatch", err)
	}
	// The password of the dummy hash must not log in an unknown user.
	if err := h.Compare(ctx, nil, "dummy password for unknown users"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Compare(nil, dummy password) = %v, want ErrMismatch", err)
	}
	if got, err := bcrypt.Cost(h.dummy); err != nil || got != cost {
		t.Errorf("dummy hash cost %d (%v), want %d so unknown users take as long as known ones", got, err, cost)
	}

	knownHash, _ := h.Hash(ctx, "a real password")
	timeOf := func(hash []byte) time.Duration {
		best := time.Hour
		for range 3 {
			start := time.Now()
			_ = h.Compare(ctx, hash, "wrong password")
			best = min(best, time.Since(start))
		}
		return best
	}
	known, unknown := timeOf(knownHash), timeOf(nil)
	if unknown < known/4 {
		t.Errorf("unknown user compare took %v, a real one %v: the difference tells usernames apart", unknown, known)
	}

	// A nil compare also waits for a slot like a real one.
	h.sem <- struct{}{}
	h.sem <- struct{}{}
	defer func() { <-h.sem; <-h.sem }()
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := h.Compare(short, nil, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Compare(nil) with every slot taken = %v, want it to wait and hit the deadline", err)
	}
}

func TestHashWaitsForFreeSlot(t *testing.T) {
	h := newHasher(t, bcrypt.MinCost, 1)
	h.sem <- struct{}{} // another hash holds the only slot
	done := make(chan error, 1)
	go func() {
		hash, err := h.Hash(context.Background(), "password1")
		if err == nil {
			err = bcrypt.CompareHashAndPassword(hash, []byte("password1"))
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Hash ran while the only slot was taken (err %v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	<-h.sem
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Hash did not run after the slot was freed")
	}
	if len(h.sem) != 0 {
		t.Errorf("%d slots still taken after Hash returned", len(h.sem))
	}
}

func TestCancelledContextStopsWaiting(t *testing.T) {
	// A slow first hash (no dummy needed, so built by hand) holds the slot.
	h := &Hasher{cost: 9, sem: make(chan struct{}, 1)}
	first := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "first password")
		first <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); len(h.sem) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("first hash never took the slot")
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(5 * time.Millisecond); cancel() }()
	if _, err := h.Hash(ctx, "second password"); !errors.Is(err, context.Canceled) {
		t.Errorf("second Hash = %v, want context.Canceled", err)
	}
	cmpCtx, cancelCmp := context.WithCancel(context.Background())
	cancelCmp()
	if err := h.Compare(cmpCtx, []byte("$2a$09$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), "pw"); !errors.Is(err, context.Canceled) || errors.Is(err, ErrMismatch) {
		t.Errorf("Compare while busy with a cancelled context = %v, want context.Canceled (not a mismatch)", err)
	}
	select {
	case <-first:
		t.Error("the first hash finished before the cancelled callers returned: they waited for it")
	default:
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}
