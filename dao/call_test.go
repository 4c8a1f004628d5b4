package dao_test

import (
	"context"
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
