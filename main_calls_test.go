package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"callapp/dao"
	"callapp/models"
)

// TestStartClosesCallsLeftOpen: a call the last run left open (it was
// killed mid-call) is ended as server_restart, at its last heartbeat, when
// the server starts.
func TestStartClosesCallsLeftOpen(t *testing.T) {
	dir := t.TempDir()
	opts := dao.Options{Driver: dao.DriverSQLite, DSN: filepath.Join(dir, "callapp.db")}
	ctx := context.Background()
	invited := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	alive := invited.Add(5 * time.Minute)
	withDB(t, opts, func(d *dao.DAO) {
		failOn(t, d.CreateCall(ctx, &models.Call{ID: "left-open", CallerID: 1, CalleeID: 2, InvitedAt: invited}))
		failOn(t, d.MarkCallAnswered(ctx, "left-open", invited.Add(time.Second)))
		failOn(t, d.MarkCallsAlive(ctx, []string{"left-open"}, alive))
	})
	if code := startApp(t, "CALLAPP_DATA_DIR="+dir).stop(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	withDB(t, opts, func(d *dao.DAO) {
		calls, err := d.RecentCalls(ctx, 10)
		failOn(t, err)
		if len(calls) != 1 || calls[0].EndReason != models.CallServerRestart || calls[0].EndedAt == nil || !calls[0].EndedAt.Equal(alive) {
			t.Errorf("after start: %+v, want ended %s at %v", calls, models.CallServerRestart, alive)
		}
	})
}

// withDB opens the database for fn alone, as a tool beside the server would.
func withDB(t *testing.T, opts dao.Options, fn func(d *dao.DAO)) {
	t.Helper()
	d, err := dao.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fn(d)
}

func failOn(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
