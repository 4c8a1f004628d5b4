// Package password hashes and checks passwords with bcrypt, capping how
// many hashes run at once so a login flood queues instead of taking every
// core and all the memory, and bounding that queue so the flood is turned
// away instead of piling up.
package password

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

// ErrMismatch is returned when a password does not match its hash.
var ErrMismatch = errors.New("password: mismatch")

// ErrBusy is returned at once, without hashing, when every slot is taken
// and as many callers as allowed already wait for one.
var ErrBusy = errors.New("password: too many waiting to hash")

// Hasher hashes and compares passwords, at most cap(sem) at a time.
type Hasher struct {
	cost       int
	sem        chan struct{}
	bounded    bool // whether maxWaiting applies
	maxWaiting int64
	waiting    atomic.Int64
	dummy      []byte                      // hash compared against for unknown users
	compare    func(hash, pw []byte) error // bcrypt's; tests watch through it
}

// Option tunes a Hasher built by New.
type Option func(*Hasher)

// MaxWaiting lets at most n callers wait for a free slot; more get ErrBusy
// at once. Without it any number wait.
func MaxWaiting(n int) Option {
	return func(h *Hasher) { h.bounded, h.maxWaiting = true, int64(max(n, 0)) }
}

// New returns a Hasher with the given bcrypt cost and concurrency cap.
func New(cost, parallel int, opts ...Option) (*Hasher, error) {
	if parallel < 1 {
		parallel = 1
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("dummy password for unknown users"), cost)
	if err != nil {
		return nil, fmt.Errorf("password: %w", err)
	}
	h := &Hasher{cost: cost, sem: make(chan struct{}, parallel), dummy: dummy,
		compare: bcrypt.CompareHashAndPassword}
	for _, o := range opts {
		o(h)
	}
	return h, nil
}

// Hash returns the bcrypt hash of pw, waiting for a free slot or ctx.
func (h *Hasher) Hash(ctx context.Context, pw string) ([]byte, error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.release()
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), h.cost)
	if err != nil {
		return nil, fmt.Errorf("password: %w", err)
	}
	return hash, nil
}

// Compare checks pw against hash; a nil hash is compared against a dummy
// so that unknown users take as long as known ones, then fails.
func (h *Hasher) Compare(ctx context.Context, hash []byte, pw string) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	if hash == nil {
		_ = h.compare(h.dummy, []byte(pw))
		return ErrMismatch
	}
	if h.compare(hash, []byte(pw)) != nil {
		return ErrMismatch
	}
	return nil
}

// acquire takes a slot, waiting for one only if the queue has room.
func (h *Hasher) acquire(ctx context.Context) error {
	if h.tryAcquire() {
		return nil
	}
	if n := h.waiting.Add(1); h.bounded && n > h.maxWaiting {
		h.waiting.Add(-1)
		if h.tryAcquire() { // a slot freed while the queue was counted
			return nil
		}
		return ErrBusy
	}
	defer h.waiting.Add(-1)
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("password: waiting for a hashing slot: %w", ctx.Err())
	}
}

func (h *Hasher) tryAcquire() bool {
	select {
	case h.sem <- struct{}{}:
		return true
	default:
		return false
	}
}

func (h *Hasher) release() { <-h.sem }
