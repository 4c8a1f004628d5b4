package password

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func newHasher(t *testing.T, cost, parallel int, opts ...Option) *Hasher {
	t.Helper()
	h, err := New(cost, parallel, opts...)
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
// configured cost, inside the concurrency cap, and then fail. The compare
// is watched, not timed: timings race on a loaded machine.
func TestCompareNilHash(t *testing.T) {
	const cost = 6 // above MinCost, cheap even under -race
	h := newHasher(t, cost, 2)
	ctx := context.Background()
	type call struct {
		hash      []byte
		err       error
		insideCap bool
	}
	var calls []call
	h.compare = func(hash, pw []byte) error {
		err := bcrypt.CompareHashAndPassword(hash, pw)
		calls = append(calls, call{hash, err, len(h.sem) == 1})
		return err
	}
	if err := h.Compare(ctx, nil, "anything at all"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Compare(nil) = %v, want ErrMismatch", err)
	}
	// The password of the dummy hash must not log in an unknown user.
	if err := h.Compare(ctx, nil, "dummy password for unknown users"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Compare(nil, dummy password) = %v, want ErrMismatch", err)
	}
	if len(calls) != 2 {
		t.Fatalf("%d bcrypt compares for two unknown users, want 2: skipping it tells usernames apart", len(calls))
	}
	for i, c := range calls {
		if string(c.hash) != string(h.dummy) || !c.insideCap {
			t.Errorf("compare %d: against %q inside the cap %v, want the dummy hash inside the cap", i, c.hash, c.insideCap)
		}
	}
	if calls[1].err != nil {
		t.Errorf("bcrypt said %v for the dummy's own password: the dummy is not a real hash", calls[1].err)
	}
	knownHash, _ := h.Hash(ctx, "a real password")
	known, _ := bcrypt.Cost(knownHash)
	if got, err := bcrypt.Cost(h.dummy); err != nil || got != known || got != cost {
		t.Errorf("dummy hash cost %d (%v), a real hash's %d, want both %d so unknown users take as long as known ones", got, err, known, cost)
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

// Past MaxWaiting callers in the queue, the next is refused at once: a
// login flood is answered instead of piling up goroutines and sockets.
func TestWaitingIsBounded(t *testing.T) {
	h := newHasher(t, bcrypt.MinCost, 1, MaxWaiting(1))
	h.sem <- struct{}{} // another hash holds the only slot
	waiter := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "password1")
		waiter <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); h.waiting.Load() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first caller never queued")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := map[string]func() error{
		"Compare": func() error { return h.Compare(ctx, nil, "password2") },
		"Hash":    func() error { _, err := h.Hash(ctx, "password2"); return err },
	}
	for name, call := range calls {
		done := make(chan error, 1)
		go func() { done <- call() }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrBusy) {
				t.Errorf("%s with the queue full = %v, want ErrBusy", name, err)
			}
		case <-time.After(5 * time.Second):
			cancel()
			t.Fatalf("%s with the queue full waited instead of answering ErrBusy", name)
		}
	}
	<-h.sem
	if err := <-waiter; err != nil {
		t.Fatalf("the queued caller: %v", err)
	}
	if err := h.Compare(ctx, nil, "password3"); !errors.Is(err, ErrMismatch) {
		t.Errorf("Compare with a free slot = %v, want ErrMismatch", err)
	}
	if n := h.waiting.Load(); n != 0 {
		t.Errorf("%d callers still counted as waiting", n)
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
