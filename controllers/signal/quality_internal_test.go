package signal

import (
	"testing"

	"callapp/models"
)

// TestQualityKeepsABoundedSpreadOfRoundTrips: a call of many samples
// keeps at most rttKept round trips, spread over the whole call, so that
// the median stays that of the call and not of its start.
func TestQualityKeepsABoundedSpreadOfRoundTrips(t *testing.T) {
	q := &quality{stride: 1}
	const n = 10_000
	for i := range n {
		q.add(&models.CallStats{RTTMs: float64(i), LossPct: float64(i % 7), Path: "host"})
	}
	if len(q.rtts) > rttKept || len(q.rtts) < rttKept/2 {
		t.Fatalf("%d round trips kept, want %d to %d", len(q.rtts), rttKept/2, rttKept)
	}
	for i, v := range q.rtts {
		if v != float64(i*q.stride) {
			t.Fatalf("kept[%d] = %v, want sample %d: not evenly spread", i, v, i*q.stride)
		}
	}
	if last := q.rtts[len(q.rtts)-1]; last < n-float64(q.stride) {
		t.Errorf("last kept round trip is sample %v of %d: the end of the call is missing", last, n)
	}
	s := q.summary()
	if s.Samples != n || *s.RTTWorstMs != n-1 || *s.LossWorstPct != 6 || s.UsedRelay {
		t.Errorf("summary: %d samples, worst %v, loss %v, relay %v", s.Samples, *s.RTTWorstMs, *s.LossWorstPct, s.UsedRelay)
	}
	if m := *s.RTTMedianMs; m < n/2-float64(q.stride) || m > n/2+float64(q.stride) {
		t.Errorf("median %v, want about %d", m, n/2)
	}
}

// TestResumedCallsAreCountedOnce: the resume of a party counts its call
// among those resumed the first time only; calls not accepted are not
// counted.
func TestResumedCallsAreCountedOnce(t *testing.T) {
	h := newTestHub(t, testOptions(), nullStore{})
	h.do(func() {
		for _, cl := range []*call{
			{id: "a", caller: models.UserBrief{ID: 1}, callee: 2, accepted: true},
			{id: "b", caller: models.UserBrief{ID: 3}, callee: 4, accepted: true},
			{id: "ringing", caller: models.UserBrief{ID: 5}, callee: 6},
		} {
			h.calls[cl.id] = cl
		}
		h.qualityResumed(h.calls["a"])
		h.qualityResumed(h.calls["a"])
		h.qualityResumed(h.calls["b"])
		h.qualityResumed(h.calls["ringing"])
		clear(h.calls)
		clear(h.quality.calls)
	})
	if n := h.Counters().CallsResumed; n != 2 {
		t.Errorf("calls resumed: %d, want 2", n)
	}
}
