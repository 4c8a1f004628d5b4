package dao_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
)

var callT0 = time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)

func TestCallLifecycle(t *testing.T) {
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		ctx := context.Background()
		c := &models.Call{ID: "c1", CallerID: 1, CalleeID: 2, InvitedAt: callT0}
		failOn(t, d.CreateCall(ctx, c))
		failOn(t, d.MarkCallAnswered(ctx, "c1", callT0.Add(2*time.Second)))
		if err := d.MarkCallAnswered(ctx, "c1", callT0.Add(3*time.Second)); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("second answer: %v, want ErrNotFound", err)
		}
		failOn(t, d.MarkCallEnded(ctx, "c1", callT0.Add(62*time.Second), models.CallHangup))
		if err := d.MarkCallEnded(ctx, "c1", callT0.Add(70*time.Second), models.CallDisconnected); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("second end: %v, want ErrNotFound", err)
		}
		calls, err := d.CallsOfUser(ctx, 2, 10)
		failOn(t, err)
		if len(calls) != 1 {
			t.Fatalf("calls of callee: %d rows, want 1", len(calls))
		}
		v := calls[0].View()
		ms := callT0.Truncate(time.Millisecond)
		if !v.InvitedAt.Equal(ms) || !v.AnsweredAt.Equal(ms.Add(2*time.Second)) || !v.EndedAt.Equal(ms.Add(62*time.Second)) {
			t.Errorf("times: %v %v %v", v.InvitedAt, v.AnsweredAt, v.EndedAt)
		}
		if v.EndReason != models.CallHangup || v.DurationSec != 60 || v.CallerID != 1 {
			t.Errorf("view = %+v", v)
		}
	})
}

func TestCallMarksOnMissingOrEndedCall(t *testing.T) {
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		ctx := context.Background()
		if err := d.MarkCallEnded(ctx, "nope", callT0, models.CallHangup); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("end missing: %v", err)
		}
		failOn(t, d.CreateCall(ctx, &models.Call{ID: "c2", CallerID: 1, CalleeID: 2, InvitedAt: callT0}))
		failOn(t, d.MarkCallEnded(ctx, "c2", callT0.Add(time.Second), models.CallTimeout))
		if err := d.MarkCallAnswered(ctx, "c2", callT0.Add(2*time.Second)); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("answer after end: %v", err)
		}
		if err := d.CreateCall(ctx, &models.Call{ID: "c2", CallerID: 3, CalleeID: 4, InvitedAt: callT0}); !errors.Is(err, dao.ErrDuplicate) {
			t.Errorf("duplicate id: %v", err)
		}
		calls, err := d.RecentCalls(ctx, 0)
		failOn(t, err)
		if len(calls) != 1 || calls[0].AnsweredAt != nil || calls[0].View().DurationSec != 0 || calls[0].EndReason != models.CallTimeout {
			t.Errorf("calls = %+v", calls)
		}
	})
}

func TestCallListsNewestFirstAndBounded(t *testing.T) {
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		ctx := context.Background()
		for i := range 6 {
			caller, callee := uint64(1), uint64(2+i%2) // user 1 calls 2 and 3 in turn
			c := &models.Call{ID: fmt.Sprintf("c%d", i), CallerID: caller, CalleeID: callee, InvitedAt: callT0.Add(time.Duration(i) * time.Minute)}
			failOn(t, d.CreateCall(ctx, c))
		}
		mine, err := d.CallsOfUser(ctx, 3, 10)
		failOn(t, err)
		if got := callIDs(mine); got != "c5 c3 c1" {
			t.Errorf("calls of 3 = %s", got)
		}
		recent, err := d.RecentCalls(ctx, 4)
		failOn(t, err)
		if got := callIDs(recent); got != "c5 c4 c3 c2" {
			t.Errorf("recent = %s", got)
		}
		none, err := d.CallsOfUser(ctx, 99, 10)
		failOn(t, err)
		if len(none) != 0 {
			t.Errorf("calls of stranger = %d", len(none))
		}
	})
}

func callIDs(calls []models.Call) string {
	s := ""
	for i, c := range calls {
		if i > 0 {
			s += " "
		}
		s += c.ID
	}
	return s
}

func failOn(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCloseCallsLeftOpen: at start-up every open call is ended as
// server_restart at the last time it was known alive: its heartbeat, else
// its answer, else its invite; ended calls keep their end.
func TestCloseCallsLeftOpen(t *testing.T) {
	forEachDriverRaw(t, func(t *testing.T, d *dao.DAO, raw *sql.DB) {
		ctx := context.Background()
		at := func(sec int) time.Time {
			return callT0.Add(time.Duration(sec) * time.Second).Truncate(time.Millisecond)
		}
		for _, id := range []string{"ringing", "heartbeat", "ended", "old"} {
			failOn(t, d.CreateCall(ctx, &models.Call{ID: id, CallerID: 1, CalleeID: 2, InvitedAt: at(0)}))
		}
		failOn(t, d.MarkCallAnswered(ctx, "heartbeat", at(2)))
		failOn(t, d.MarkCallAnswered(ctx, "old", at(3)))
		failOn(t, d.MarkCallEnded(ctx, "ended", at(30), models.CallHangup))
		failOn(t, d.MarkCallsAlive(ctx, []string{"heartbeat", "ended"}, at(60)))
		failOn(t, d.MarkCallsAlive(ctx, []string{"heartbeat"}, at(10))) // late and out of order: kept at 60
		if _, err := raw.Exec("UPDATE calls SET alive_at = NULL WHERE id = 'old'"); err != nil {
			t.Fatal(err) // a row from before alive_at existed
		}
		n, err := d.CloseCallsLeftOpen(ctx, time.Time{})
		if err != nil || n != 3 {
			t.Fatalf("closed %d (%v), want 3", n, err)
		}
		want := map[string]struct {
			reason string
			end    time.Time
		}{
			"ringing": {models.CallServerRestart, at(0)}, "heartbeat": {models.CallServerRestart, at(60)},
			"old": {models.CallServerRestart, at(3)}, "ended": {models.CallHangup, at(30)},
		}
		calls, err := d.RecentCalls(ctx, 10)
		failOn(t, err)
		for _, c := range calls {
			if w := want[c.ID]; c.EndReason != w.reason || c.EndedAt == nil || !c.EndedAt.Equal(w.end) {
				t.Errorf("%s: %q at %v, want %q at %v", c.ID, c.EndReason, c.EndedAt, w.reason, w.end)
			}
		}
		if n, err := d.CloseCallsLeftOpen(ctx, time.Time{}); err != nil || n != 0 {
			t.Errorf("second run closed %d (%v)", n, err)
		}
	})
}

// TestCallsToResume: at start-up the answered calls known alive since the
// cutoff wait for their parties; every other open call is closed.
func TestCallsToResume(t *testing.T) {
	forEachDriverRaw(t, func(t *testing.T, d *dao.DAO, _ *sql.DB) {
		ctx := context.Background()
		at := func(sec int) time.Time {
			return callT0.Add(time.Duration(sec) * time.Second).Truncate(time.Millisecond)
		}
		for _, id := range []string{"ringing", "recent", "stale", "ended"} {
			failOn(t, d.CreateCall(ctx, &models.Call{ID: id, CallerID: 1, CalleeID: 2, InvitedAt: at(0)}))
		}
		failOn(t, d.MarkCallAnswered(ctx, "recent", at(1)))
		failOn(t, d.MarkCallAnswered(ctx, "stale", at(1)))
		failOn(t, d.MarkCallAnswered(ctx, "ended", at(1)))
		failOn(t, d.MarkCallsAlive(ctx, []string{"recent", "ringing"}, at(100)))
		failOn(t, d.MarkCallsAlive(ctx, []string{"stale"}, at(40)))
		failOn(t, d.MarkCallEnded(ctx, "ended", at(90), models.CallHangup))
		cutoff := at(50)
		n, err := d.CloseCallsLeftOpen(ctx, cutoff)
		if err != nil || n != 2 {
			t.Fatalf("closed %d (%v), want ringing and stale", n, err)
		}
		calls, err := d.CallsToResume(ctx, cutoff)
		failOn(t, err)
		if len(calls) != 1 || calls[0].ID != "recent" || calls[0].EndedAt != nil || !calls[0].AliveAt.Equal(at(100)) {
			t.Fatalf("to resume: %+v, want recent alone", calls)
		}
		failOn(t, d.MarkCallResumed(ctx, "recent"))
		failOn(t, d.MarkCallResumed(ctx, "recent"))
		all, err := d.RecentCalls(ctx, 10)
		failOn(t, err)
		for _, c := range all {
			switch {
			case c.ID == "recent" && (c.EndedAt != nil || c.Resumes != 2):
				t.Errorf("recent: %+v, want open, resumed twice", c)
			case (c.ID == "ringing" || c.ID == "stale") && c.EndReason != models.CallServerRestart:
				t.Errorf("%s: %q, want closed as server_restart", c.ID, c.EndReason)
			case c.ID == "ended" && c.EndReason != models.CallHangup:
				t.Errorf("ended: %q, want kept", c.EndReason)
			}
		}
	})
}
