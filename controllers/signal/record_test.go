package signal_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callapp/controllers/signal"
	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
	"callapp/route/apptest"
)

// errDown is what failingStore's call writes return while it is down.
var errDown = errors.New("test: database down")

// failingStore is a database whose call records can be made to fail, as
// a database that is down does, and whose writes are counted.
type failingStore struct {
	*dao.DAO
	mu       sync.RWMutex // held for reading by every write: down waits for those in flight
	isDown   bool
	failures atomic.Int64
}

// down makes every later call write fail; none is in flight when it
// returns, so nothing reaches the database after it.
func (s *failingStore) down(d bool) {
	s.mu.Lock()
	s.isDown = d
	s.mu.Unlock()
}

func (s *failingStore) write(fn func() error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.isDown {
		s.failures.Add(1)
		return errDown
	}
	return fn()
}

func (s *failingStore) CreateCall(ctx context.Context, c *models.Call) error {
	return s.write(func() error { return s.DAO.CreateCall(ctx, c) })
}

func (s *failingStore) MarkCallAnswered(ctx context.Context, id string, at time.Time) error {
	return s.write(func() error { return s.DAO.MarkCallAnswered(ctx, id, at) })
}

func (s *failingStore) MarkCallEnded(ctx context.Context, id string, at time.Time, reason string) error {
	return s.write(func() error { return s.DAO.MarkCallEnded(ctx, id, at, reason) })
}

func (s *failingStore) MarkCallsAlive(ctx context.Context, ids []string, at time.Time) error {
	return s.write(func() error { return s.DAO.MarkCallsAlive(ctx, ids, at) })
}

// retrying returns fast options with millisecond pauses between attempts.
func retrying() signal.Options {
	opts := fast()
	opts.RecordRetry, opts.RecordRetryMax, opts.RecordCloseWait = 5*time.Millisecond, 20*time.Millisecond, 100*time.Millisecond
	return opts
}

// callRows returns every stored call.
func callRows(t *testing.T, db *dao.DAO) []models.Call {
	t.Helper()
	calls, err := db.RecentCalls(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return calls
}

// hangUpCall makes a call from a to b, answered and hung up by a, and
// returns its id.
func hangUpCall(t *testing.T, a, b *peer) string {
	t.Helper()
	id := connectCall(t, a, b)
	a.call(models.MethodHangup, b.id, id)
	b.waitFor(models.CodeCallEnded)
	return id
}

func TestCallMadeWhileDatabaseDownIsRecordedWhenItIsBack(t *testing.T) {
	t.Parallel()
	db := daotest.Open(t, dao.DriverSQLite)
	store := &failingStore{DAO: db}
	h := startStore(t, retrying(), store, db)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	store.down(true)
	id := hangUpCall(t, a, b)
	eventually(t, "the write retried", func() bool { return store.failures.Load() >= 3 })
	if n := len(callRows(t, db)); n != 0 || h.hub.Counters().RecordsQueued != 3 {
		t.Fatalf("while down: %d rows, %d queued; want 0 and 3", n, h.hub.Counters().RecordsQueued)
	}
	store.down(false)
	row := expectCallRow(t, h, id, models.CallHangup, true)
	if row.CallerID != 1 || row.CalleeID != 2 || row.AnsweredAt.Before(row.InvitedAt) || row.EndedAt.Before(*row.AnsweredAt) {
		t.Errorf("recorded %+v", row)
	}
	eventually(t, "the queue empty", func() bool { return h.hub.Counters().RecordsQueued == 0 })
	if c := h.hub.Counters(); c.RecordsDropped != 0 {
		t.Errorf("%d records dropped", c.RecordsDropped)
	}
}

func TestCallRecordsBeyondTheQueueAreDroppedAndCounted(t *testing.T) {
	t.Parallel()
	db := daotest.Open(t, dao.DriverSQLite)
	store := &failingStore{DAO: db}
	opts := retrying()
	opts.RecordQueue = 3
	h := startStore(t, opts, store, db)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	store.down(true)
	first := hangUpCall(t, a, b)  // create, answer, end: the queue is full
	second := hangUpCall(t, a, b) // all three dropped
	if c := h.hub.Counters(); c.RecordsQueued != 3 || c.RecordsDropped != 3 {
		t.Fatalf("queued %d, dropped %d; want 3 and 3", c.RecordsQueued, c.RecordsDropped)
	}
	store.down(false)
	expectCallRow(t, h, first, models.CallHangup, true)
	eventually(t, "the queue empty", func() bool { return h.hub.Counters().RecordsQueued == 0 })
	for _, c := range callRows(t, db) {
		if c.ID == second {
			t.Errorf("the dropped call was stored: %+v", c)
		}
	}
}

func TestCloseWaitsBoundedForADeadDatabaseAndLogsTheLoss(t *testing.T) {
	t.Parallel()
	db := daotest.Open(t, dao.DriverSQLite)
	store := &failingStore{DAO: db}
	var logs apptest.LogBuffer
	opts := retrying()
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	h := startStore(t, opts, store, db)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	store.down(true)
	id := hangUpCall(t, a, b)
	closed := make(chan struct{})
	go func() { h.hub.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(wait):
		t.Fatal("Close still waiting for a database that is down")
	}
	out := logs.String()
	if !strings.Contains(out, "call records lost at shutdown") || !strings.Contains(out, "records=3") || !strings.Contains(out, id) {
		t.Errorf("log does not name the lost records:\n%s", out)
	}
	if c := h.hub.Counters(); c.RecordsDropped != 3 {
		t.Errorf("dropped = %d, want 3", c.RecordsDropped)
	}
}

// TestCallLeftOpenByACrashIsClosedAtItsLastHeartbeat: a server killed
// mid-call (its store cut off, no shutdown) leaves the call open; the
// start-up closer ends it as server_restart at the last heartbeat.
func TestCallLeftOpenByACrashIsClosedAtItsLastHeartbeat(t *testing.T) {
	daotest.ForEachDriver(t, func(t *testing.T, db *dao.DAO) {
		store := &failingStore{DAO: db}
		opts := retrying()
		opts.CallHeartbeat = 20 * time.Millisecond
		opts.Logger = signal.TestOptions().Logger
		h := startStore(t, opts, store, db)
		a, b := h.join(1, "alice"), h.join(2, "bob")
		id := connectCall(t, a, b)
		var alive time.Time
		eventually(t, "a heartbeat after the answer", func() bool {
			for _, c := range callRows(t, db) {
				if c.ID == id && c.AnsweredAt != nil && c.AliveAt != nil && c.AliveAt.After(*c.AnsweredAt) {
					alive = *c.AliveAt
					return true
				}
			}
			return false
		})
		store.down(true) // killed: nothing more reaches the database
		rows := callRows(t, db)
		if len(rows) != 1 || rows[0].EndedAt != nil || rows[0].AliveAt.Before(alive) {
			t.Fatalf("after the kill: %+v", rows)
		}
		alive = *rows[0].AliveAt

		n, err := db.CloseCallsLeftOpen(context.Background(), time.Time{}) // the next start
		if err != nil || n != 1 {
			t.Fatalf("closed %d calls (%v), want 1", n, err)
		}
		row := callRows(t, db)[0]
		if row.EndReason != models.CallServerRestart || row.EndedAt == nil || !row.EndedAt.Equal(alive) {
			t.Errorf("closed as %q at %v, want %q at the last heartbeat %v", row.EndReason, row.EndedAt, models.CallServerRestart, alive)
		}
	})
}

// TestCallMadeWhileMySQLStopsAnsweringIsRecordedWhenItAnswers is the same
// as with the failing store, against a real MySQL that stops answering.
func TestCallMadeWhileMySQLStopsAnsweringIsRecordedWhenItAnswers(t *testing.T) {
	t.Parallel()
	opts, proxy := daotest.MySQLBehindProxy(t)
	opts.Timeout = 200 * time.Millisecond
	db, err := dao.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	store := &refusalCounter{DAO: db}
	h := startStore(t, retrying(), store, db)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	proxy.Set(daotest.Blackhole)
	id := hangUpCall(t, a, b)
	eventually(t, "writes failing", func() bool { return store.failures.Load() >= 2 })
	proxy.Set(daotest.Forward)
	expectCallRow(t, h, id, models.CallHangup, true)
}

// refusalCounter counts the call creations the database did not take.
type refusalCounter struct {
	*dao.DAO
	failures atomic.Int64
}

func (s *refusalCounter) CreateCall(ctx context.Context, c *models.Call) error {
	err := s.DAO.CreateCall(ctx, c)
	if err != nil {
		s.failures.Add(1)
	}
	return err
}
