package dao

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"callapp/models"
)

// Bounds on the call lists, so that no caller can ask for the whole table.
const (
	DefaultCallLimit = 50
	MaxCallLimit     = 500
)

// CreateCall stores a call that started ringing.
func (d *DAO) CreateCall(ctx context.Context, c *models.Call) error {
	c.InvitedAt = dbTime(c.InvitedAt)
	if c.AliveAt == nil {
		c.AliveAt = &c.InvitedAt
	}
	db, done := d.db.conn(ctx)
	defer done()
	return wrap("create call", db.Create(c).Error)
}

// MarkCallAnswered records when a ringing call was accepted. It returns
// ErrNotFound when no open, unanswered call has that id.
func (d *DAO) MarkCallAnswered(ctx context.Context, id string, at time.Time) error {
	db, done := d.db.conn(ctx)
	defer done()
	res := db.Model(&models.Call{}).
		Where("id = ? AND answered_at IS NULL AND ended_at IS NULL", id).
		Updates(map[string]any{"answered_at": dbTime(at), "alive_at": dbTime(at)})
	return affectedOne("mark call answered", res.Error, res.RowsAffected)
}

// MarkCallEnded records the end of a call once: it returns ErrNotFound when
// no call with that id is still open, so a second end never overwrites the
// first one's time and reason.
func (d *DAO) MarkCallEnded(ctx context.Context, id string, at time.Time, reason string) error {
	db, done := d.db.conn(ctx)
	defer done()
	res := db.Model(&models.Call{}).
		Where("id = ? AND ended_at IS NULL", id).
		Updates(map[string]any{"ended_at": dbTime(at), "end_reason": reason})
	return affectedOne("mark call ended", res.Error, res.RowsAffected)
}

// MarkCallsAlive records that the open calls among ids were going on at
// at, the hub's heartbeat; a later time already recorded is kept.
func (d *DAO) MarkCallsAlive(ctx context.Context, ids []string, at time.Time) error {
	at = dbTime(at)
	db, done := d.db.conn(ctx)
	defer done()
	for batch := range slices.Chunk(ids, bulkBatch) {
		err := db.Model(&models.Call{}).
			Where("id IN ? AND ended_at IS NULL AND (alive_at IS NULL OR alive_at < ?)", batch, at).
			Update("alive_at", at).Error
		if err != nil {
			return wrap("mark calls alive", err)
		}
	}
	return nil
}

// MarkCallResumed counts one return of a party within the resume grace.
func (d *DAO) MarkCallResumed(ctx context.Context, id string) error {
	db, done := d.db.conn(ctx)
	defer done()
	res := db.Model(&models.Call{}).Where("id = ?", id).Update("resumes", gorm.Expr("resumes + 1"))
	return wrap("mark call resumed", res.Error)
}

// CallsToResume returns the answered calls left open whose last sign of
// life (alive_at) is at or after since: a restarted server gives their
// parties the resume grace.
func (d *DAO) CallsToResume(ctx context.Context, since time.Time) ([]models.Call, error) {
	db, done := d.db.conn(ctx)
	defer done()
	var calls []models.Call
	err := resumable(db.Where("ended_at IS NULL"), since).Order("invited_at").Find(&calls).Error
	return calls, wrap("calls to resume", err)
}

// resumable narrows q to the calls CallsToResume returns.
func resumable(q *gorm.DB, since time.Time) *gorm.DB {
	return q.Where("answered_at IS NOT NULL AND COALESCE(alive_at, answered_at) >= ?", dbTime(since))
}

// CloseCallsLeftOpen ends every call still open with CallServerRestart
// at the last time the server knew it going on, but those CallsToResume
// returns for since (a zero since spares none). Run at start-up, before
// the hub can start new calls, it returns how many it closed.
func (d *DAO) CloseCallsLeftOpen(ctx context.Context, since time.Time) (int64, error) {
	db, done := d.db.conn(ctx)
	defer done()
	q := db.Model(&models.Call{}).Where("ended_at IS NULL")
	if !since.IsZero() {
		q = q.Not(resumable(db.Session(&gorm.Session{NewDB: true}), since))
	}
	res := q.Updates(map[string]any{
		// Rows from before alive_at existed fall back to what they have.
		"ended_at":   gorm.Expr("COALESCE(alive_at, answered_at, invited_at)"),
		"end_reason": models.CallServerRestart,
	})
	return res.RowsAffected, wrap("close calls left open", res.Error)
}

// CallsOfUser returns the user's most recent calls, made or received,
// newest first.
func (d *DAO) CallsOfUser(ctx context.Context, userID uint64, limit int) ([]models.Call, error) {
	var calls []models.Call
	db, done := d.db.conn(ctx)
	defer done()
	err := db.
		Where("caller_id = ? OR callee_id = ?", userID, userID).
		Order("invited_at DESC, id DESC").Limit(boundLimit(limit, DefaultCallLimit, MaxCallLimit)).
		Find(&calls).Error
	return calls, wrap("calls of user", err)
}

// RecentCalls returns the most recent calls of everyone, newest first, for
// the admin dashboard.
func (d *DAO) RecentCalls(ctx context.Context, limit int) ([]models.Call, error) {
	var calls []models.Call
	db, done := d.db.conn(ctx)
	defer done()
	err := db.
		Order("invited_at DESC, id DESC").Limit(boundLimit(limit, DefaultCallLimit, MaxCallLimit)).
		Find(&calls).Error
	return calls, wrap("recent calls", err)
}

// dbTime is how times are stored: UTC with the millisecond precision both
// dialects keep, so a value reads back equal to what was written.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// boundLimit turns a non-positive limit into def and caps it at most.
func boundLimit(limit, def, most int) int {
	switch {
	case limit <= 0:
		return def
	case limit > most:
		return most
	}
	return limit
}

// affectedOne maps an update that matched no row to ErrNotFound.
func affectedOne(op string, err error, rows int64) error {
	if err == nil && rows == 0 {
		return wrap(op, ErrNotFound)
	}
	return wrap(op, err)
}
