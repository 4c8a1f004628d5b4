// Package password hashes and checks passwords with bcrypt, capping how
// many hashes run at once so a login flood queues instead of taking every
// core and all the memory.
package password

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// ErrMismatch is returned when a password does not match its hash.
var ErrMismatch = errors.New("password: mismatch")

// Hasher hashes and compares passwords, at most cap(sem) at a time.
type Hasher struct {
	cost  int
	sem   chan struct{}
	dummy []byte // hash compared against for unknown users
}

// New returns a Hasher with the given bcrypt cost and concurrency cap.
func New(cost, parallel int) (*Hasher, error) {
	if parallel < 1 {
		parallel = 1
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("dummy password for unknown users"), cost)
	if err != nil {
		return nil, fmt.Errorf("password: %w", err)
	}
	return &Hasher{cost: cost, sem: make(chan struct{}, parallel), dummy: dummy}, nil
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
		_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(pw))
		return ErrMismatch
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(pw)) != nil {
		return ErrMismatch
	}
	return nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("password: waiting for a hashing slot: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.sem }
