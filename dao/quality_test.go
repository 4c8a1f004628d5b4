package dao_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"callapp/dao"
	"callapp/models"
)

func ms(v float64) *float64 { return &v }

func TestSetCallQualityStoresTheSummaryAndKeepsResumes(t *testing.T) {
	forEachDriverRaw(t, func(t *testing.T, d *dao.DAO, raw *sql.DB) {
		ctx := context.Background()
		failOn(t, d.CreateCall(ctx, &models.Call{ID: "q1", CallerID: 1, CalleeID: 2, InvitedAt: callT0}))
		failOn(t, d.MarkCallAnswered(ctx, "q1", callT0.Add(time.Second)))
		failOn(t, d.MarkCallEnded(ctx, "q1", callT0.Add(time.Minute), models.CallHangup))
		if _, err := raw.Exec("UPDATE calls SET resumes = 2 WHERE id = 'q1'"); err != nil {
			t.Fatal(err)
		}
		q := models.CallQuality{Samples: 7, RTTMedianMs: ms(41.5), RTTWorstMs: ms(300), LossWorstPct: ms(2.25), UsedRelay: true, SetupMs: ms(812)}
		failOn(t, d.SetCallQuality(ctx, "q1", q))
		failOn(t, d.SetCallQuality(ctx, "q1", q)) // the same again, as a retry writes it: still found
		calls, err := d.RecentCalls(ctx, 10)
		failOn(t, err)
		if got := calls[0].Quality(); fmt.Sprint(deref(got)) != fmt.Sprint(deref(q)) {
			t.Errorf("quality = %v, want %v", deref(got), deref(q))
		}
		if calls[0].Resumes != 2 || calls[0].EndReason != models.CallHangup {
			t.Errorf("call = %+v: resumes or end changed", calls[0])
		}
		if err := d.SetCallQuality(ctx, "nope", q); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("quality of a missing call: %v, want ErrNotFound", err)
		}
	})
}

// deref shows a quality's figures rather than its pointers.
func deref(q models.CallQuality) []any {
	v := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	return []any{q.Samples, v(q.RTTMedianMs), v(q.RTTWorstMs), v(q.LossWorstPct), q.UsedRelay, v(q.SetupMs)}
}

func TestQualitySummaryOfTheLastDay(t *testing.T) {
	forEachDriverRaw(t, func(t *testing.T, d *dao.DAO, raw *sql.DB) {
		ctx := context.Background()
		now := time.Now()
		since := now.Add(-24 * time.Hour)
		empty, err := d.QualitySummary(ctx, since)
		failOn(t, err)
		if empty.Answered != 0 || empty.RelayShare != 0 || empty.SetupMedianMs != nil {
			t.Errorf("summary of no calls = %+v", empty)
		}
		type row struct {
			id       string
			age      time.Duration
			answered bool
			ended    string
			relay    bool
			setup    *float64
			resumes  int
		}
		for _, r := range []row{
			{"relay", time.Hour, true, models.CallHangup, true, ms(400), 0},
			{"direct", 2 * time.Hour, true, models.CallHangup, false, ms(100), 1},
			{"failed", 3 * time.Hour, true, models.CallMediaFailed, true, nil, 0},
			{"late-fail", 4 * time.Hour, true, models.CallMediaFailed, false, ms(900), 0}, // had frames: not a failure to connect
			{"missed", time.Hour, false, models.CallTimeout, false, nil, 0},
			{"going-on", time.Minute, true, "", true, ms(50), 0},
			{"old", 25 * time.Hour, true, models.CallMediaFailed, true, nil, 3},
		} {
			invited := now.Add(-r.age)
			failOn(t, d.CreateCall(ctx, &models.Call{ID: r.id, CallerID: 1, CalleeID: 2, InvitedAt: invited}))
			if r.answered {
				failOn(t, d.MarkCallAnswered(ctx, r.id, invited.Add(time.Second)))
			}
			if r.ended != "" {
				failOn(t, d.MarkCallEnded(ctx, r.id, invited.Add(time.Minute), r.ended))
			}
			failOn(t, d.SetCallQuality(ctx, r.id, models.CallQuality{Samples: 1, UsedRelay: r.relay, SetupMs: r.setup}))
			if _, err := raw.Exec("UPDATE calls SET resumes = ? WHERE id = ?", r.resumes, r.id); err != nil {
				t.Fatal(err)
			}
		}
		s, err := d.QualitySummary(ctx, since)
		failOn(t, err)
		// relay, direct, failed and late-fail: answered and ended within the day.
		if s.Answered != 4 || s.Relayed != 2 || s.Failed != 1 || s.Resumed != 1 {
			t.Errorf("summary = %+v, want 4 answered: 2 relayed, 1 failed, 1 resumed", s)
		}
		if s.RelayShare != 0.5 || s.FailedShare != 0.25 || s.ResumedShare != 0.25 {
			t.Errorf("shares = %v %v %v", s.RelayShare, s.FailedShare, s.ResumedShare)
		}
		if s.SetupMedianMs == nil || *s.SetupMedianMs != 400 { // of 100, 400, 900
			t.Errorf("median set-up = %v, want 400", s.SetupMedianMs)
		}
		failOn(t, d.SetCallQuality(ctx, "failed", models.CallQuality{Samples: 1, SetupMs: ms(2000)}))
		s, err = d.QualitySummary(ctx, since)
		failOn(t, err)
		if s.SetupMedianMs == nil || *s.SetupMedianMs != 650 { // of 100, 400, 900, 2000
			t.Errorf("median set-up of four = %v, want 650", s.SetupMedianMs)
		}
	})
}
