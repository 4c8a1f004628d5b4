package signal_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"callapp/controllers/signal"
	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
)

// statsGrace is the tests' StatsGrace: long enough for a sample sent
// right after the end on a loaded machine, short enough to wait out.
const statsGrace = 300 * time.Millisecond

func qualityOpts() signal.Options {
	o := fast()
	o.StatsGrace = statsGrace
	return o
}

// sample is a valid Call/Stats sample.
func sample(callID string, rtt, loss float64, path string) models.CallStats {
	return models.CallStats{CallID: callID, RTTMs: rtt, LossPct: loss, JitterMs: 3, KbpsIn: 900, KbpsOut: 850, Path: path}
}

// taken checks that the samples p sent before were taken: nothing came
// back for them before the answer to a sample of a call that is no one's,
// which the hub handles after them.
func taken(t *testing.T, p *peer) {
	t.Helper()
	p.send(models.MethodCallStats, 0, sample("no-such-call", 1, 0, "host"))
	p.expectError(models.MethodCallStats, models.ReasonUnknownCall)
}

func TestCallStatsRefusesBadSamples(t *testing.T) {
	t.Parallel()
	h := start(t, qualityOpts())
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	callID := connectCall(t, a, b, c)
	base := func(change func(m map[string]any)) map[string]any {
		m := map[string]any{"callId": callID, "rttMs": 20, "lossPct": 0.5, "jitterMs": 4, "kbpsIn": 800, "kbpsOut": 700, "path": "srflx"}
		change(m)
		return m
	}
	cases := []struct {
		name   string
		data   any
		reason string
	}{
		{"negative rtt", base(func(m map[string]any) { m["rttMs"] = -1 }), models.ReasonBadStats},
		{"rtt over a minute", base(func(m map[string]any) { m["rttMs"] = 60001 }), models.ReasonBadStats},
		{"jitter over a minute", base(func(m map[string]any) { m["jitterMs"] = 1e9 }), models.ReasonBadStats},
		{"loss over 100", base(func(m map[string]any) { m["lossPct"] = 100.5 }), models.ReasonBadStats},
		{"negative loss", base(func(m map[string]any) { m["lossPct"] = -0.1 }), models.ReasonBadStats},
		{"kbps in too high", base(func(m map[string]any) { m["kbpsIn"] = 1e6 + 1 }), models.ReasonBadStats},
		{"negative kbps out", base(func(m map[string]any) { m["kbpsOut"] = -5 }), models.ReasonBadStats},
		{"set-up over ten minutes", base(func(m map[string]any) { m["setupMs"] = 600001 }), models.ReasonBadStats},
		{"negative set-up", base(func(m map[string]any) { m["setupMs"] = -1 }), models.ReasonBadStats},
		{"a number no float holds", json.RawMessage(`{"callId":"` + callID + `","rttMs":1e400,"path":"host"}`), models.ReasonBadStats},
		{"unknown path", base(func(m map[string]any) { m["path"] = "tcp" }), models.ReasonBadStats},
		{"no path", base(func(m map[string]any) { delete(m, "path") }), models.ReasonBadStats},
		{"path in capitals", base(func(m map[string]any) { m["path"] = "RELAY" }), models.ReasonBadStats},
		{"rtt as a string", base(func(m map[string]any) { m["rttMs"] = "20" }), models.ReasonBadJSON},
		{"path as a number", base(func(m map[string]any) { m["path"] = 3 }), models.ReasonBadJSON},
		{"data not an object", []int{1, 2}, models.ReasonBadJSON},
		{"no callId", base(func(m map[string]any) { delete(m, "callId") }), models.ReasonMissingField},
		{"a call that is no one's", base(func(m map[string]any) { m["callId"] = "0123456789abcdef" }), models.ReasonUnknownCall},
	}
	for _, tc := range cases {
		a.send(models.MethodCallStats, 0, tc.data)
		env := a.expect(models.CodeError)
		if got := decode[models.ErrorData](t, env); got.Reason != tc.reason || got.Method != models.MethodCallStats {
			t.Errorf("%s: got %+v %q, want %s", tc.name, got, env.Message, tc.reason)
		}
	}
	a.send(models.MethodCallStats, 0, nil)
	a.expectError(models.MethodCallStats, models.ReasonMissingField)

	c.send(models.MethodCallStats, 0, sample(callID, 20, 0, "host")) // not her call
	c.expectError(models.MethodCallStats, models.ReasonUnknownCall)

	// A ringing call has no media yet.
	d, e := h.join(4, "dave"), h.join(5, "erin")
	d.send(models.MethodInvite, 5, nil)
	ringing := decode[models.CallTargetEvent](t, d.waitFor(models.CodeCallRinging))
	e.waitFor(models.CodeIncomingCall)
	for _, p := range []*peer{d, e} {
		p.send(models.MethodCallStats, 0, sample(ringing.CallID, 20, 0, "host"))
		p.expectError(models.MethodCallStats, models.ReasonUnknownCall)
	}

	// Edge values are taken, from either party, and answered with nothing.
	edge := sample(callID, 60000, 100, "relay")
	edge.SetupMs = new(float64)
	a.send(models.MethodCallStats, 0, edge)
	b.send(models.MethodCallStats, 0, sample(callID, 0, 0, "prflx"))
	taken(t, a)
	taken(t, b)
	if got := h.hub.Counters(); got.StatsSamples != 2 || got.CallsRelayed != 1 || got.Errors[models.ReasonBadStats] != 13 {
		t.Errorf("counters: %d samples, %d relayed, %d bad_stats; want 2, 1, 13", got.StatsSamples, got.CallsRelayed, got.Errors[models.ReasonBadStats])
	}
}

// TestCallQualityIsRecordedAfterTheLastSamples: samples from both
// parties, and the last ones sent right after the end, make the call's
// quality on its record; once it is written, later samples are refused.
func TestCallQualityIsRecordedAfterTheLastSamples(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, db *dao.DAO) {
		h := startWith(t, qualityOpts(), db)
		a, b := h.join(1, "alice"), h.join(2, "bob")
		callID := connectCall(t, a, b)
		first := sample(callID, 40, 0.5, "host")
		setup := 950.0
		first.SetupMs = &setup
		a.send(models.MethodCallStats, 0, first)
		b.send(models.MethodCallStats, 0, sample(callID, 10, 3.5, "relay"))
		a.send(models.MethodCallStats, 0, sample(callID, 250, 0, "relay"))
		taken(t, a)
		taken(t, b)

		a.call(models.MethodHangup, 2, callID)
		b.waitFor(models.CodeCallEnded)
		last := sample(callID, 30, 1, "relay") // the page's sample right after 10015
		late := 400.0
		last.SetupMs = &late // larger than alice's: the smallest is kept
		b.send(models.MethodCallStats, 0, last)
		taken(t, b)

		var row models.Call
		eventually(t, "the quality recorded", func() bool {
			for _, c := range callRows(t, db) {
				if c.ID == callID {
					row = c
				}
			}
			return row.StatsSamples > 0
		})
		got := row.Quality()
		// rtts 10, 30, 40, 250: median 35, worst 250; worst loss 3.5.
		if figures(got) != "samples 4, rtt median 35 worst 250, loss 3.5, relay true, set-up 400" || row.EndReason != models.CallHangup {
			t.Errorf("recorded %s, ended %s", figures(got), row.EndReason)
		}
		b.send(models.MethodCallStats, 0, sample(callID, 30, 0, "relay")) // past the grace
		b.expectError(models.MethodCallStats, models.ReasonUnknownCall)
	})
}

func TestCallWithoutSamplesLeavesNoQuality(t *testing.T) {
	t.Parallel()
	db := daotest.Open(t, dao.DriverSQLite)
	h := startWith(t, qualityOpts(), db)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	callID := connectCall(t, a, b)
	a.call(models.MethodHangup, 2, callID)
	b.waitFor(models.CodeCallEnded)
	expectCallRow(t, h, callID, models.CallHangup, true)
	time.Sleep(2 * statsGrace)
	b.send(models.MethodCallStats, 0, sample(callID, 30, 0, "host"))
	b.expectError(models.MethodCallStats, models.ReasonUnknownCall)
	if row := expectCallRow(t, h, callID, models.CallHangup, true); row.StatsSamples != 0 || row.RTTMedianMs != nil {
		t.Errorf("quality of a call without samples: %s", figures(row.Quality()))
	}
}

func TestHangupWithMediaFailed(t *testing.T) {
	t.Parallel()
	h := start(t, qualityOpts())
	a, b := h.join(1, "alice"), h.join(2, "bob")
	callID := connectCall(t, a, b)
	for _, bad := range []string{"hangup", "MEDIA_FAILED", "disconnected", "x"} {
		a.send(models.MethodHangup, 2, models.CallRef{CallID: callID, Reason: bad})
		a.expectError(models.MethodHangup, models.ReasonBadReason)
	}
	a.send(models.MethodOffer, 2, map[string]string{"sdp": "the call goes on"})
	b.expect(models.CodeOffer)

	a.send(models.MethodHangup, 2, models.CallRef{CallID: callID, Reason: models.CallMediaFailed})
	ended := decode[models.CallPeerEvent](t, b.waitFor(models.CodeCallEnded))
	if ended != (models.CallPeerEvent{CallID: callID, FromID: 1, Reason: models.CallMediaFailed}) {
		t.Errorf("10015 = %+v", ended)
	}
	expectCallRow(t, h, callID, models.CallMediaFailed, true)
	if n := h.hub.Counters().CallsEnded[models.CallMediaFailed]; n != 1 {
		t.Errorf("calls ended media_failed counted %d, want 1", n)
	}

	// A plain hang-up is still "hangup".
	callID = connectCall(t, b, a)
	b.send(models.MethodHangup, 1, models.CallRef{CallID: callID})
	if got := decode[models.CallPeerEvent](t, a.waitFor(models.CodeCallEnded)); got.Reason != models.CallHangup {
		t.Errorf("plain hang-up ended %+v", got)
	}
	expectCallRow(t, h, callID, models.CallHangup, true)
}

// TestQualityOfCallsEndedByShutdownIsRecorded: Close writes what the
// calls going on (left open for the next start) and those waiting for
// late samples had.
func TestQualityOfCallsEndedByShutdownIsRecorded(t *testing.T) {
	t.Parallel()
	db := daotest.Open(t, dao.DriverSQLite)
	opts := qualityOpts()
	opts.StatsGrace = time.Hour // only Close can write it
	h := startWith(t, opts, db)
	a, b, c, d := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol"), h.join(4, "dave")
	ended, going := connectCall(t, a, b), connectCall(t, c, d)
	a.send(models.MethodCallStats, 0, sample(ended, 20, 0, "host"))
	c.send(models.MethodCallStats, 0, sample(going, 80, 0, "relay"))
	taken(t, a)
	taken(t, c)
	a.call(models.MethodHangup, 2, ended)
	b.waitFor(models.CodeCallEnded)
	h.hub.Close()
	rows := map[string]models.Call{}
	for _, r := range callRows(t, db) {
		rows[r.ID] = r
	}
	if r := rows[ended]; figures(r.Quality()) != "samples 1, rtt median 20 worst 20, loss 0, relay false, set-up none" {
		t.Errorf("call ended before: %s", figures(r.Quality()))
	}
	if r := rows[going]; figures(r.Quality()) != "samples 1, rtt median 80 worst 80, loss 0, relay true, set-up none" || r.EndedAt != nil {
		t.Errorf("call going on at the shutdown: %s, ended %v %s", figures(r.Quality()), r.EndedAt, r.EndReason)
	}
}

// figures shows a quality's figures rather than its pointers.
func figures(q models.CallQuality) string {
	v := func(p *float64) any {
		if p == nil {
			return "none"
		}
		return *p
	}
	return fmt.Sprintf("samples %d, rtt median %v worst %v, loss %v, relay %v, set-up %v",
		q.Samples, v(q.RTTMedianMs), v(q.RTTWorstMs), v(q.LossWorstPct), q.UsedRelay, v(q.SetupMs))
}
