package ice_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/stun/v4"

	"callapp/controllers/ice"
)

// accounts is a user table's disabled accounts, as the test sets them.
type accounts struct {
	mu       sync.Mutex
	disabled []uint64
}

func (a *accounts) DisabledUserIDs(context.Context) ([]uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.disabled), nil
}

func (a *accounts) set(ids ...uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.disabled = ids
}

// refused reports whether a fresh credential of user gets no allocation,
// and that by an error answer, as pion gives a refused credential.
func refused(t *testing.T, r *relay, user uint64) bool {
	t.Helper()
	_, err := allocate(t, validClient(t, r, user))
	if err != nil && turnCode(err) != int(stun.CodeBadRequest) {
		t.Fatalf("user %d refused with %v, want 400", user, err)
	}
	return err != nil
}

// TestDisabledAccountsRefused: a credential, though valid and unexpired,
// gets no allocation once its user's account is disabled in the user
// table, and does again once it is enabled, each within a refresh.
func TestDisabledAccountsRefused(t *testing.T) {
	users := &accounts{disabled: []uint64{7}}
	r := startRelay(t, func(o *ice.ServerOptions) { o.Users, o.UserRefresh = users, 20*time.Millisecond })
	if !refused(t, r, 7) {
		t.Error("disabled user 7 got an allocation")
	}
	if !strings.Contains(r.logs.String(), "TURN credential of a disabled user") {
		t.Errorf("refusal not logged:\n%s", r.logs.String())
	}
	conn, err := allocate(t, validClient(t, r, 8))
	if err != nil {
		t.Fatalf("enabled user 8 refused: %v", err)
	}
	target := peer(t)
	users.set(8) // disabled on another node, or by hand
	eventually(t, "user 8's relay closed", func() bool { return r.Stats().Active == 0 })
	conn.WriteTo([]byte("after"), target.LocalAddr())
	if n := received(target, 200*time.Millisecond); n != 0 {
		t.Errorf("closed relay delivered %d packets", n)
	}
	if !refused(t, r, 8) {
		t.Error("user 8 got an allocation after being disabled")
	}
	users.set()
	eventually(t, "user 7 enabled", func() bool { return !refused(t, r, 7) })
}

// TestSetUserDisabledClosesRelays: disabling a user closes their open
// relays at once, and nobody else's, and refuses their credentials.
func TestSetUserDisabledClosesRelays(t *testing.T) {
	r := startRelay(t, nil)
	target := peer(t)
	mine, err := allocate(t, validClient(t, r, 5))
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := allocate(t, validClient(t, r, 6))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mine.WriteTo([]byte("before"), target.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	expectPacket(t, target, "before")

	r.SetUserDisabled(5, true)
	if st := r.Stats(); st.Active != 1 || st.Users != 1 {
		t.Errorf("after disabling user 5: %+v, want user 6's relay only", st)
	}
	mine.WriteTo([]byte("after"), target.LocalAddr())
	if n := received(target, 200*time.Millisecond); n != 0 {
		t.Errorf("disabled user's relay delivered %d packets", n)
	}
	if _, err := theirs.WriteTo([]byte("other"), target.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	expectPacket(t, target, "other")
	if !refused(t, r, 5) {
		t.Error("disabled user 5 got an allocation")
	}
	r.SetUserDisabled(5, false)
	if refused(t, r, 5) {
		t.Error("re-enabled user 5 refused")
	}
	var none *ice.Server
	none.SetUserDisabled(5, true) // no embedded server: nothing to do
}

// slowAccounts answers the first query at once and each later one when
// the test releases it.
type slowAccounts struct {
	first   sync.Once
	entered chan struct{}
	release chan []uint64
}

func (s *slowAccounts) DisabledUserIDs(ctx context.Context) ([]uint64, error) {
	now := false
	s.first.Do(func() { now = true })
	if now {
		return nil, nil
	}
	select {
	case s.entered <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case ids := <-s.release:
		return ids, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestDisableDuringReloadHolds: a reload whose query began before a user
// was disabled does not enable them again.
func TestDisableDuringReloadHolds(t *testing.T) {
	users := &slowAccounts{entered: make(chan struct{}), release: make(chan []uint64)}
	r := startRelay(t, func(o *ice.ServerOptions) { o.Users, o.UserRefresh = users, 10*time.Millisecond })
	<-users.entered // a reload is under way
	r.SetUserDisabled(9, true)
	users.release <- nil // what the query saw: nobody disabled
	<-users.entered      // the stale answer has been applied
	if !refused(t, r, 9) {
		t.Error("a reload begun before the disable enabled user 9 again")
	}
}

// TestAdminDisableEndsRelays: an admin disabling a user through the API
// closes that user's open relays at once and refuses their credentials;
// enabling them again lets them relay.
func TestAdminDisableEndsRelays(t *testing.T) {
	a, r := newApp(t)
	admin := a.Register("alice")
	a.Register("bob")
	if _, err := allocate(t, validClient(t, r, 2)); err != nil {
		t.Fatal(err)
	}
	patch := func(body string) {
		req, _ := http.NewRequest(http.MethodPatch, a.URL+"/webrtc/api/admin/users/2", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := admin.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("PATCH %s: %d", body, res.StatusCode)
		}
	}
	patch(`{"disabled":true}`)
	if st := r.Stats(); st.Active != 0 {
		t.Errorf("bob's relay still open after he was disabled: %+v", st)
	}
	if !refused(t, r, 2) {
		t.Error("disabled bob got an allocation")
	}
	patch(`{"disabled":false}`)
	if refused(t, r, 2) {
		t.Error("bob, enabled again, refused")
	}
}
