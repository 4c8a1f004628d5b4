package ice

import (
	"context"
	"sync"
	"time"
)

// DisabledUsers lists the accounts that may not relay. *dao.DAO
// implements it.
type DisabledUsers interface {
	DisabledUserIDs(ctx context.Context) ([]uint64, error)
}

// SetUserDisabled disables or enables a user's relays now: a disabled
// user's credentials are refused and their open relays closed. It does
// not change the account; the caller has. Safe on a nil Server.
func (s *Server) SetUserDisabled(userID uint64, disabled bool) {
	if s == nil {
		return
	}
	s.closeRelays(s.access.set(userID, disabled, time.Now()))
}

// closeRelays closes the relays of disabled users: pion sees the relay
// socket fail and deletes the allocation, whose refreshes are refused.
func (s *Server) closeRelays(open []*relayConn) {
	for _, c := range open {
		_ = c.Close()
	}
	if len(open) > 0 {
		s.log.Info("turn relays of disabled users closed", "relays", len(open))
	}
}

// userQueryTimeout bounds the query for the disabled accounts.
const userQueryTimeout = 5 * time.Second

// refreshUsers reloads the disabled accounts every UserRefresh until Close.
func (s *Server) refreshUsers() {
	if s.opts.Users == nil {
		return
	}
	s.refresher.Add(1)
	go func() {
		defer s.refresher.Done()
		t := time.NewTicker(s.opts.UserRefresh)
		defer t.Stop()
		for {
			select {
			case <-s.stopped.Done():
				return
			case <-t.C:
				s.reloadUsers()
			}
		}
	}()
}

// reloadUsers reads the disabled accounts. On failure the last list
// stays: refusing everyone while the database is away would end calls
// that need no account change.
func (s *Server) reloadUsers() {
	if s.opts.Users == nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.stopped, userQueryTimeout)
	defer cancel()
	started := time.Now()
	ids, err := s.opts.Users.DisabledUserIDs(ctx)
	if err != nil {
		if s.stopped.Err() == nil {
			s.log.Warn("turn: reading the disabled accounts failed; keeping the last list", "err", err)
		}
		return
	}
	s.closeRelays(s.access.load(ids, started))
}

// access decides who may relay: every credential names its user, whose
// account may have been disabled since it was issued. It also holds each
// user's open relay sockets, so that disabling a user closes them.
//
// The disabled accounts are held in memory and reloaded every
// ServerOptions.UserRefresh, rather than looked up per request, because
// pion authenticates on the goroutine that reads every UDP packet: one
// slow database query would stall every relay. A user disabled through
// this server (SetUserDisabled) is refused at once; the reload catches
// accounts disabled elsewhere (another node, the database by hand).
type access struct {
	mu       sync.Mutex
	disabled map[uint64]struct{}
	marks    map[uint64]mark // SetUserDisabled calls a reload in progress may have missed
	relays   map[uint64]map[*relayConn]struct{}
}

// mark is one SetUserDisabled call.
type mark struct {
	disabled bool
	at       time.Time
}

func newAccess() *access {
	return &access{disabled: map[uint64]struct{}{}, marks: map[uint64]mark{},
		relays: map[uint64]map[*relayConn]struct{}{}}
}

// allowed reports whether user may relay.
func (a *access) allowed(user uint64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, off := a.disabled[user]
	return !off
}

// add records an open relay socket of user; false, recording nothing, if
// the user may not relay. One step with set, so that a socket opening
// while its user is disabled is either refused here or closed by set.
func (a *access) add(user uint64, c *relayConn) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, off := a.disabled[user]; off {
		return false
	}
	if a.relays[user] == nil {
		a.relays[user] = map[*relayConn]struct{}{}
	}
	a.relays[user][c] = struct{}{}
	return true
}

// remove forgets a closed relay socket.
func (a *access) remove(user uint64, c *relayConn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.relays[user], c)
	if len(a.relays[user]) == 0 {
		delete(a.relays, user)
	}
}

// set disables or enables user now and returns the user's open relay
// sockets, for the caller to close, when disabling.
func (a *access) set(user uint64, disabled bool, now time.Time) []*relayConn {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.marks[user] = mark{disabled: disabled, at: now}
	a.apply(user, disabled)
	return a.refused()
}

// load replaces the disabled accounts with ids, read from a query begun
// at started, and returns the open relay sockets of those now disabled,
// for the caller to close. Marks made since started win: the query may
// not have seen them.
func (a *access) load(ids []uint64, started time.Time) []*relayConn {
	set := make(map[uint64]struct{}, len(ids))
	for _, id := range ids {
		set[id] = struct{}{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.disabled = set
	for user, m := range a.marks {
		if m.at.Before(started) {
			delete(a.marks, user) // committed before the query: it saw it
			continue
		}
		a.apply(user, m.disabled)
	}
	return a.refused()
}

// refused returns the open relay sockets of disabled users; a.mu is held.
// Few users have relays open, so this walks those rather than the
// disabled accounts.
func (a *access) refused() []*relayConn {
	var open []*relayConn
	for user, conns := range a.relays {
		if _, off := a.disabled[user]; off {
			for c := range conns {
				open = append(open, c)
			}
		}
	}
	return open
}

// apply sets one user's state; a.mu is held.
func (a *access) apply(user uint64, disabled bool) {
	if disabled {
		a.disabled[user] = struct{}{}
	} else {
		delete(a.disabled, user)
	}
}
