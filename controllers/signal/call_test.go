package signal_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"callapp/models"
)

// connectCall has a invite b and b accept, and consumes the events both
// and the observers get. It returns the callId.
func connectCall(t *testing.T, a, b *peer, observers ...*peer) string {
	t.Helper()
	a.send(models.MethodInvite, b.id, nil)
	ringing := decode[models.CallTargetEvent](t, a.waitFor(models.CodeCallRinging))
	incoming := decode[models.IncomingCall](t, b.waitFor(models.CodeIncomingCall))
	if ringing.CallID == "" || ringing.CallID != incoming.CallID || ringing.ToID != b.id || incoming.FromID != a.id || incoming.User.ID != a.id {
		t.Fatalf("10017 %+v / 10012 %+v", ringing, incoming)
	}
	b.call(models.MethodAccept, a.id, incoming.CallID)
	accepted := decode[models.CallPeerEvent](t, a.expect(models.CodeCallAccepted))
	if accepted != (models.CallPeerEvent{CallID: incoming.CallID, FromID: b.id}) {
		t.Fatalf("10013 = %+v", accepted)
	}
	expectStatuses(t, a, map[uint64]string{b.id: models.StatusInCall})
	expectStatuses(t, b, map[uint64]string{a.id: models.StatusInCall})
	for _, o := range observers {
		expectStatuses(t, o, map[uint64]string{a.id: models.StatusInCall, b.id: models.StatusInCall})
	}
	return incoming.CallID
}

// expectCallRow waits until the call's record shows it ended with reason.
func expectCallRow(t *testing.T, h *harness, id, reason string, answered bool) models.Call {
	t.Helper()
	var row models.Call
	eventually(t, "call "+id+" recorded as "+reason, func() bool {
		calls, err := h.db.RecentCalls(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range calls {
			if c.ID == id && c.EndedAt != nil {
				row = c
				return true
			}
		}
		return false
	})
	if row.EndReason != reason || (row.AnsweredAt != nil) != answered {
		t.Fatalf("call row = %+v, want reason %s answered %v", row, reason, answered)
	}
	return row
}

// callRow returns the stored record of call id.
func callRow(t *testing.T, h *harness, id string) models.Call {
	t.Helper()
	calls, err := h.db.RecentCalls(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("call %s not stored", id)
	return models.Call{}
}

func TestInviteRingsThenAcceptPutsBothInCall(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	a.send(models.MethodInvite, 2, nil)
	callID := decode[models.CallTargetEvent](t, a.waitFor(models.CodeCallRinging)).CallID
	incoming := decode[models.IncomingCall](t, b.waitFor(models.CodeIncomingCall))
	if incoming.User != (models.UserBrief{ID: 1, Username: "alice"}) || incoming.CallID != callID || len(callID) != 32 {
		t.Errorf("10012 = %+v, callId %q", incoming, callID)
	}
	if s := h.hub.Stats(); s.RingingCalls != 1 || s.ActiveCalls != 0 {
		t.Errorf("ringing stats = %+v", s)
	}
	for _, u := range h.hub.Online() {
		if u.Status != models.StatusOnline {
			t.Errorf("while ringing %d is %s", u.ID, u.Status)
		}
	}
	c.quiet(50 * time.Millisecond) // ringing changes no status
	b.call(models.MethodAccept, 1, callID)
	a.expect(models.CodeCallAccepted)
	expectStatuses(t, c, map[uint64]string{1: models.StatusInCall, 2: models.StatusInCall})
	if s := h.hub.Stats(); s.RingingCalls != 0 || s.ActiveCalls != 1 {
		t.Errorf("active stats = %+v", s)
	}
	d := h.join(4, "dave")
	if want := []models.OnlineUser{
		{ID: 1, Username: "alice", Status: models.StatusInCall}, {ID: 2, Username: "bob", Status: models.StatusInCall},
		{ID: 3, Username: "carol", Status: models.StatusOnline},
	}; !slices.Equal(d.online, want) {
		t.Errorf("a newcomer sees %+v", d.online)
	}
}

func TestRelaysBothWaysThenHangup(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	callID := connectCall(t, a, b, c)
	relays := []struct {
		from, to *peer
		method   string
		code     int
	}{
		{a, b, models.MethodOffer, models.CodeOffer}, {b, a, models.MethodAnswer, models.CodeAnswer},
		{a, b, models.MethodCandidate, models.CodeCandidate}, {b, a, models.MethodCandidate, models.CodeCandidate},
		{b, a, models.MethodOffer, models.CodeOffer}, {a, b, models.MethodAnswer, models.CodeAnswer}, // renegotiation by the callee
		{a, b, models.MethodOffer, models.CodeOffer}, // and by the caller
	}
	for i, r := range relays {
		r.from.send(r.method, r.to.id, map[string]any{"type": "x", "n": i})
		got := decode[struct {
			FromID uint64         `json:"fromId"`
			Data   map[string]any `json:"data"`
		}](t, r.to.expect(r.code))
		if got.FromID != r.from.id || got.Data["n"] != float64(i) {
			t.Errorf("relay %d: %+v", i, got)
		}
	}
	c.quiet(50 * time.Millisecond) // nothing relayed leaks to others

	a.call(models.MethodHangup, 2, callID)
	ended := decode[models.CallPeerEvent](t, b.expect(models.CodeCallEnded))
	if ended != (models.CallPeerEvent{CallID: callID, FromID: 1, Reason: models.CallHangup}) {
		t.Errorf("10015 = %+v", ended)
	}
	expectStatuses(t, c, map[uint64]string{1: models.StatusOnline, 2: models.StatusOnline})
	expectStatuses(t, a, map[uint64]string{2: models.StatusOnline})
	expectStatuses(t, b, map[uint64]string{1: models.StatusOnline})
	a.send(models.MethodOffer, 2, map[string]string{"sdp": "late"})
	a.expectError(models.MethodOffer, models.ReasonNotInCall)
	row := expectCallRow(t, h, callID, models.CallHangup, true)
	if row.CallerID != 1 || row.CalleeID != 2 || row.EndedAt.Before(*row.AnsweredAt) || row.AnsweredAt.Before(row.InvitedAt) {
		t.Errorf("row = %+v", row)
	}
	if s := h.hub.Stats(); s.ActiveCalls != 0 || s.RingingCalls != 0 {
		t.Errorf("stats after = %+v", s)
	}
}

func TestInviteFailures(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")

	a.send(models.MethodInvite, 1, nil)
	expectFailed(t, a, models.CallTargetEvent{ToID: 1, Reason: models.CallSelf})
	a.send(models.MethodInvite, 99, nil)
	expectFailed(t, a, models.CallTargetEvent{ToID: 99, Reason: models.CallOffline})

	a.send(models.MethodInvite, 2, nil)
	callID := decode[models.CallTargetEvent](t, a.waitFor(models.CodeCallRinging)).CallID
	b.waitFor(models.CodeIncomingCall)
	c.send(models.MethodInvite, 2, nil)
	expectFailed(t, c, models.CallTargetEvent{ToID: 2, Reason: models.CallBusy}) // being rung
	c.send(models.MethodInvite, 1, nil)
	expectFailed(t, c, models.CallTargetEvent{ToID: 1, Reason: models.CallBusy}) // ringing
	a.send(models.MethodInvite, 3, nil)
	a.expectError(models.MethodInvite, models.ReasonAlreadyInCall)

	a.call(models.MethodHangup, 2, callID)
	b.expect(models.CodeCallEnded)
	expectCallRow(t, h, callID, models.CallCancelled, false)
	calls, err := h.db.RecentCalls(context.Background(), 100)
	if err != nil || len(calls) != 1 {
		t.Errorf("only the invite that rang is recorded: %d rows, %v", len(calls), err)
	}
}

func expectFailed(t *testing.T, p *peer, want models.CallTargetEvent) {
	t.Helper()
	if got := decode[models.CallTargetEvent](t, p.waitFor(models.CodeCallFailed)); got != want {
		t.Fatalf("10016 = %+v, want %+v", got, want)
	}
}

func TestRejectCancelAndCalleeHangup(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b := h.join(1, "alice"), h.join(2, "bob")
	a.expect(models.CodeUserOnline)
	ring := func() string {
		a.send(models.MethodInvite, 2, nil)
		a.expect(models.CodeCallRinging)
		return decode[models.IncomingCall](t, b.expect(models.CodeIncomingCall)).CallID
	}

	id1 := ring()
	b.call(models.MethodReject, 1, id1)
	if got := decode[models.CallPeerEvent](t, a.expect(models.CodeCallRejected)); got != (models.CallPeerEvent{CallID: id1, FromID: 2, Reason: models.CallRejected}) {
		t.Errorf("10014 = %+v", got)
	}
	id2 := ring()
	a.call(models.MethodHangup, 2, id2)
	if got := decode[models.CallPeerEvent](t, b.expect(models.CodeCallEnded)); got != (models.CallPeerEvent{CallID: id2, FromID: 1, Reason: models.CallCancelled}) {
		t.Errorf("cancel 10015 = %+v", got)
	}
	id3 := ring()
	b.call(models.MethodHangup, 1, id3)
	if got := decode[models.CallPeerEvent](t, a.expect(models.CodeCallRejected)); got.Reason != models.CallRejected || got.CallID != id3 {
		t.Errorf("callee hangup while ringing = %+v", got)
	}
	a.quiet(50 * time.Millisecond) // no status changes: nobody was in_call
	expectCallRow(t, h, id1, models.CallRejected, false)
	expectCallRow(t, h, id2, models.CallCancelled, false)
	expectCallRow(t, h, id3, models.CallRejected, false)
}

func TestRingTimeout(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.RingTimeout = 150 * time.Millisecond
	h := start(t, opts)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	a.expect(models.CodeUserOnline)
	a.send(models.MethodInvite, 2, nil)
	began := time.Now()
	callID := decode[models.CallTargetEvent](t, a.expect(models.CodeCallRinging)).CallID
	b.expect(models.CodeIncomingCall)
	failed := decode[models.CallTargetEvent](t, a.expect(models.CodeCallFailed))
	if failed != (models.CallTargetEvent{CallID: callID, ToID: 2, Reason: models.CallTimeout}) {
		t.Errorf("caller 10016 = %+v", failed)
	}
	ended := decode[models.CallPeerEvent](t, b.expect(models.CodeCallEnded))
	if ended != (models.CallPeerEvent{CallID: callID, FromID: 1, Reason: models.CallTimeout}) {
		t.Errorf("callee 10015 = %+v", ended)
	}
	if d := time.Since(began); d < 100*time.Millisecond {
		t.Errorf("timed out after %v", d)
	}
	b.call(models.MethodAccept, 1, callID)
	b.expectError(models.MethodAccept, models.ReasonUnknownCall)
	expectCallRow(t, h, callID, models.CallTimeout, false)
}

func TestDisconnectMidCallFreesBoth(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	callID := connectCall(t, a, b, c)
	b.conn.Close()
	ended := decode[models.CallPeerEvent](t, a.waitFor(models.CodeCallEnded))
	if ended != (models.CallPeerEvent{CallID: callID, FromID: 2, Reason: models.CallDisconnected}) {
		t.Errorf("10015 = %+v", ended)
	}
	c.waitView("bob gone, alice free", func(view map[uint64]models.OnlineUser) bool {
		_, bob := view[2]
		return !bob && view[1].Status == models.StatusOnline
	})
	a.send(models.MethodInvite, 3, nil) // alice is free again
	a.waitFor(models.CodeCallRinging)
	c.waitFor(models.CodeIncomingCall)
	expectCallRow(t, h, callID, models.CallDisconnected, true)
}

func TestRelaysAndCallMethodsOutsideTheirCallAreRefused(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	a.send(models.MethodCandidate, 2, map[string]string{"candidate": "x"})
	if got := decode[models.ErrorData](t, a.waitFor(models.CodeError)); got.Reason != models.ReasonNotInCall {
		t.Errorf("relay without a call: %+v", got)
	}
	callID := connectCall(t, a, b, c)

	a.send(models.MethodOffer, 3, map[string]string{"sdp": "x"}) // not her peer
	a.expectError(models.MethodOffer, models.ReasonNotInCall)
	c.send(models.MethodCandidate, 1, map[string]string{"candidate": "x"})
	c.expectError(models.MethodCandidate, models.ReasonNotInCall)

	cases := []struct {
		who    *peer
		method string
		to     uint64
		id     string
	}{
		{a, models.MethodAccept, 2, callID},       // the caller cannot accept
		{b, models.MethodAccept, 1, callID},       // already accepted
		{b, models.MethodReject, 1, callID},       // no longer ringing
		{b, models.MethodHangup, 1, "0123456789"}, // no such call
		{b, models.MethodHangup, 3, callID},       // toId is not the other party
		{c, models.MethodHangup, 1, callID},       // not hers
	}
	for _, tc := range cases {
		tc.who.call(tc.method, tc.to, tc.id)
		tc.who.expectError(tc.method, models.ReasonUnknownCall)
	}
	a.send(models.MethodOffer, 2, map[string]string{"sdp": "still works"})
	b.expect(models.CodeOffer)
}
