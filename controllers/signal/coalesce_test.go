package signal_test

import (
	"slices"
	"testing"
	"time"

	"callapp/controllers/signal"
	"callapp/models"
)

// expectPresence reads the next envelope, which must be 10018 with want.
func expectPresence(t *testing.T, p *peer, want models.Presence) {
	t.Helper()
	got := decode[models.Presence](t, p.expect(models.CodePresence))
	if !slices.Equal(got.Online, want.Online) || !slices.Equal(got.Offline, want.Offline) || !slices.Equal(got.Status, want.Status) {
		t.Fatalf("user %d: 10018 = %+v, want %+v", p.id, got, want)
	}
	if got.Online == nil || got.Offline == nil || got.Status == nil {
		t.Fatalf("user %d: 10018 lacks a list (null): %+v", p.id, got)
	}
}

func TestLonePresenceChangesKeepTheirCodes(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.PresenceTick = 30 * time.Millisecond
	h := start(t, opts)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	if got := decode[models.OnlineUser](t, a.expect(models.CodeUserOnline)); got != (models.OnlineUser{ID: 2, Username: "bob", Status: models.StatusOnline}) {
		t.Errorf("10006 = %+v", got)
	}
	c := h.join(3, "carol")
	a.expect(models.CodeUserOnline)
	b.expect(models.CodeUserOnline)

	// Both parties change at accept: one 10018 to the others, and to each
	// party the other's change alone, as 10007.
	b.send(models.MethodInvite, 3, nil)
	callID := decode[models.IncomingCall](t, c.expect(models.CodeIncomingCall)).CallID
	c.call(models.MethodAccept, 2, callID)
	expectPresence(t, a, models.Presence{Online: []models.OnlineUser{}, Offline: []uint64{},
		Status: []models.StatusChange{{ID: 2, Status: models.StatusInCall}, {ID: 3, Status: models.StatusInCall}}})
	if got := decode[models.StatusChange](t, b.waitFor(models.CodeUserStatus)); got != (models.StatusChange{ID: 3, Status: models.StatusInCall}) {
		t.Errorf("bob's 10007 = %+v", got)
	}
	if got := decode[models.StatusChange](t, c.expect(models.CodeUserStatus)); got != (models.StatusChange{ID: 2, Status: models.StatusInCall}) {
		t.Errorf("carol's 10007 = %+v", got)
	}

	// Bob leaves mid-call: alice hears both changes at once, carol only
	// that bob left.
	b.conn.Close()
	expectPresence(t, a, models.Presence{Online: []models.OnlineUser{}, Offline: []uint64{2},
		Status: []models.StatusChange{{ID: 3, Status: models.StatusOnline}}})
	if got := decode[models.UserOffline](t, c.waitFor(models.CodeUserOffline)); got.FromID != 2 {
		t.Errorf("carol's 10008 = %+v", got)
	}
	a.quiet(100 * time.Millisecond)
}

func TestBurstOfArrivalsIsOneEnvelopePerRecipient(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.PresenceTick = 400 * time.Millisecond
	h := start(t, opts)
	a := h.join(1, "alice")
	signal.FlushPresence(h.hub) // alice is known to all who come next
	b, c, d := h.connect(2, "bob"), h.connect(3, "carol"), h.connect(4, "dave")
	alice := models.OnlineUser{ID: 1, Username: "alice", Status: models.StatusOnline}
	for _, p := range []*peer{b, c, d} {
		// 10000 is the state as of the last tick, the same for all three.
		if !slices.Equal(p.online, []models.OnlineUser{alice}) {
			t.Errorf("user %d's 10000 = %+v", p.id, p.online)
		}
	}
	on := func(id uint64, name string) models.OnlineUser {
		return models.OnlineUser{ID: id, Username: name, Status: models.StatusOnline}
	}
	none := []uint64{}
	expectPresence(t, a, models.Presence{Online: []models.OnlineUser{on(2, "bob"), on(3, "carol"), on(4, "dave")}, Offline: none, Status: []models.StatusChange{}})
	expectPresence(t, b, models.Presence{Online: []models.OnlineUser{on(3, "carol"), on(4, "dave")}, Offline: none, Status: []models.StatusChange{}})
	expectPresence(t, d, models.Presence{Online: []models.OnlineUser{on(2, "bob"), on(3, "carol")}, Offline: none, Status: []models.StatusChange{}})
	for _, p := range []*peer{a, b, d} {
		p.quiet(100 * time.Millisecond) // one envelope each, nothing more
	}

	// A departure and an arrival in one tick: one envelope again.
	d.conn.Close()
	e := h.connect(5, "erin")
	expectPresence(t, a, models.Presence{Online: []models.OnlineUser{on(5, "erin")}, Offline: []uint64{4}, Status: []models.StatusChange{}})
	if got := decode[models.UserOffline](t, e.expect(models.CodeUserOffline)); got.FromID != 4 {
		t.Errorf("erin, who saw dave in her 10000, gets 10008 = %+v", got)
	}
}

func TestComeAndGoWithinATickCostsNothing(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.PresenceTick = 300 * time.Millisecond
	h := start(t, opts)
	a := h.join(1, "alice")
	b := h.connect(2, "bob")
	b.conn.Close()
	eventually(t, "bob gone", func() bool { return len(h.hub.Online()) == 1 })
	a.quiet(500 * time.Millisecond)
}

func TestIncomingCallNeverPrecedesTheCallersArrival(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.PresenceTick = 10 * time.Second // only the invite can flush it in time
	h := start(t, opts)
	a := h.join(1, "alice")
	b := h.connect(2, "bob")
	began := time.Now()
	b.send(models.MethodInvite, 1, nil)
	if env := a.next(); env.Code != models.CodeUserOnline {
		t.Fatalf("alice first got %d %s, want 10006 for bob", env.Code, env.Data)
	}
	a.expect(models.CodeIncomingCall)
	b.expect(models.CodeCallRinging)
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("took %v: the invite did not flush presence", d)
	}
}
