package signal

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"callapp/models"
)

// Call quality: the parties of an accepted call send Call/Stats, what
// their page measured; the hub sums the samples up per call and writes
// the summary to the call record once the call has ended and its parties'
// last samples, sent right after it ended, are in (Options.StatsGrace).
// Everything here but the decoding runs on the loop.

// Bounds that keep the quality state small whatever the clients send.
const (
	// rttKept is how many round trips a call keeps for its median: past
	// it every other one is dropped and from then on only every other
	// sample is kept, so that those kept stay spread over the whole call.
	rttKept = 256
	// endedKept is how many ended calls may wait for late samples; the
	// summary of one more is written at once, without them.
	endedKept = 4096
)

// Ranges of a Call/Stats sample; anything outside is bad_stats.
const (
	maxDelayMs = 60_000  // round trip and jitter
	maxKbps    = 1e6     // either way
	maxSetupMs = 600_000 // invite to first frame
)

// paths are the ICE candidate types a selected pair can have.
var paths = map[string]bool{"host": true, "srflx": true, "prflx": true, "relay": true}

var (
	errBadStats  = refuse(models.ReasonBadStats, "a value of data is out of range, or path is not host, srflx, prflx or relay")
	errBadReason = refuse(models.ReasonBadReason, `data.reason must be empty or "media_failed"`)
)

// quality is what the hub keeps of one accepted call's samples.
type quality struct {
	caller, callee uint64
	samples        int
	rtts           []float64 // every stride-th sample's round trip, for the median
	stride         int
	rttWorst       float64
	lossWorst      float64
	relay          bool
	setup          *float64    // the smallest reported
	resumes        int         // times a party came back within the resume grace
	ended          *time.Timer // set at the call's end: writes the summary when it fires
	rec            string      // several nodes: the node that records it (replica.go)
}

// qualities are the calls whose quality is kept: accepted calls that
// reported something or resumed, and ended ones waiting for late samples.
type qualities struct {
	calls map[string]*quality
	ended int // how many of calls have ended
}

// callStats handles Call/Stats. The sample is decoded and checked here,
// on the reader; the loop only adds it to its call.
func (c *client) callStats(r *request) error {
	s, err := decodeStats(r.Data)
	if err != nil {
		return err
	}
	c.hub.submit(op{c: c, r: r, run: func(h *Hub, c *client, _ *request) error { return h.statsFrom(c.user.ID, s) }})
	return nil
}

// decodeStats decodes and checks a Call/Stats sample.
func decodeStats(data json.RawMessage) (*models.CallStats, error) {
	var s models.CallStats
	if err := json.Unmarshal(data, &s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && strings.HasPrefix(te.Value, "number ") {
			return nil, errBadStats // a number too large for a float64, as "number 1e400"
		}
		return nil, errBadJSON
	}
	switch {
	case s.CallID == "":
		return nil, errMissingCallID
	case !within(s.RTTMs, maxDelayMs), !within(s.JitterMs, maxDelayMs), !within(s.LossPct, 100),
		!within(s.KbpsIn, maxKbps), !within(s.KbpsOut, maxKbps), !paths[s.Path],
		s.SetupMs != nil && !within(*s.SetupMs, maxSetupMs):
		return nil, errBadStats
	}
	return &s, nil
}

// within reports whether v is a number from 0 to most (not NaN, which
// JSON cannot carry anyway, nor an infinity).
func within(v, most float64) bool { return v >= 0 && v <= most }

// takeStats adds a sample of user me to its call, which must be an
// accepted call of me's, going on or ended within StatsGrace.
func (h *Hub) takeStats(me uint64, s *models.CallStats) error {
	q := h.qualityOf(s.CallID)
	if q == nil || (q.caller != me && q.callee != me) {
		return errUnknownCall
	}
	if s.Path == "relay" && !q.relay {
		h.stats.callsRelayed.Add(1)
	}
	q.add(s)
	h.stats.statsTaken.Add(1)
	return nil
}

// statsFrom takes a sample of user me. With several nodes the node that
// records the call keeps its quality: the sample goes there, checked here
// first, so that the answer is this node's to give. Not through the log,
// which it would fill.
func (h *Hub) statsFrom(me uint64, s *models.CallStats) error {
	q := h.qualityOf(s.CallID)
	if q == nil || (q.caller != me && q.callee != me) {
		return errUnknownCall
	}
	if h.recordsHere(q.rec) {
		return h.takeStats(me, s)
	}
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	h.sendFrame(q.rec, frameStats, 0, me, data)
	return nil
}

// qualityOf returns the kept quality of the call, made now for an
// accepted call going on; nil for any other call.
func (h *Hub) qualityOf(id string) *quality {
	if q := h.quality.calls[id]; q != nil {
		return q
	}
	if cl := h.calls[id]; cl != nil && cl.accepted {
		return h.keepQuality(cl)
	}
	return nil
}

// seedQuality carries on the stored quality of a call a previous run of
// the server left going on. Its median stands for the samples behind it:
// a few copies of it weigh against the samples still to come.
func (h *Hub) seedQuality(cl *call, stored models.CallQuality) {
	if stored.Samples == 0 {
		return
	}
	q := h.keepQuality(cl)
	q.samples = stored.Samples
	if stored.RTTMedianMs != nil {
		for range min(stored.Samples, rttSeeded) {
			q.rtts = append(q.rtts, *stored.RTTMedianMs)
		}
	}
	q.rttWorst = deref(stored.RTTWorstMs)
	q.lossWorst = deref(stored.LossWorstPct)
	q.relay = stored.UsedRelay
	q.setup = stored.SetupMs
}

// rttSeeded is how many copies of a stored median seed a restored call's.
const rttSeeded = 16

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// keepQuality starts keeping the quality of the accepted call cl.
func (h *Hub) keepQuality(cl *call) *quality {
	if h.quality.calls == nil {
		h.quality.calls = make(map[string]*quality)
	}
	q := &quality{caller: cl.caller.ID, callee: cl.callee, stride: 1, rec: cl.rec}
	h.quality.calls[cl.id] = q
	return q
}

// qualityResumed counts a party of the accepted call cl coming back
// within the resume grace (the resume, which records it, calls this).
func (h *Hub) qualityResumed(cl *call) {
	q := h.qualityOf(cl.id)
	if q == nil {
		return
	}
	if q.resumes == 0 {
		h.stats.callsResumed.Add(1)
	}
	q.resumes++
}

// qualityEnded keeps the quality of an accepted call that ended for
// StatsGrace, for its parties' last samples, then writes it.
func (h *Hub) qualityEnded(cl *call) {
	if !cl.accepted {
		return
	}
	q := h.quality.calls[cl.id]
	if q == nil {
		q = h.keepQuality(cl) // for the samples sent right after the end
	}
	if h.stopping || h.quality.ended >= endedKept {
		h.writeQuality(cl.id, q)
		return
	}
	h.quality.ended++
	q.ended = time.AfterFunc(h.opts.StatsGrace, func() {
		h.submit(op{do: func() { h.writeQuality(cl.id, q) }})
	})
}

// writeQuality forgets the call's quality and records it, unless it is
// gone already (written at shutdown) or holds nothing.
func (h *Hub) writeQuality(id string, q *quality) {
	if h.quality.calls[id] != q {
		return
	}
	delete(h.quality.calls, id)
	if q.ended != nil {
		q.ended.Stop()
		h.quality.ended--
	}
	if q.samples == 0 || !h.recordsHere(q.rec) {
		return // Resumes, the one thing it may hold then, is recorded by the resume
	}
	if q.setup != nil && h.opts.ObserveSetup != nil {
		h.opts.ObserveSetup(time.Duration(*q.setup * float64(time.Millisecond)))
	}
	h.rec.push(callEvent{id: id, quality: q.summary()})
}

// writeAllQuality writes the quality of every call kept, ended or not:
// the server is stopping.
func (h *Hub) writeAllQuality() {
	for id, q := range h.quality.calls {
		h.writeQuality(id, q)
	}
}

// add takes a sample.
func (q *quality) add(s *models.CallStats) {
	if q.samples%q.stride == 0 {
		if len(q.rtts) == rttKept {
			for i := range rttKept / 2 {
				q.rtts[i] = q.rtts[2*i]
			}
			q.rtts = q.rtts[:rttKept/2]
			q.stride *= 2
		}
		if q.samples%q.stride == 0 {
			q.rtts = append(q.rtts, s.RTTMs)
		}
	}
	q.samples++
	q.rttWorst = max(q.rttWorst, s.RTTMs)
	q.lossWorst = max(q.lossWorst, s.LossPct)
	q.relay = q.relay || s.Path == "relay"
	if s.SetupMs != nil && (q.setup == nil || *s.SetupMs < *q.setup) {
		setup := *s.SetupMs
		q.setup = &setup
	}
}

// summary is the quality as the call record keeps it.
func (q *quality) summary() *models.CallQuality {
	sorted := slices.Sorted(slices.Values(q.rtts))
	n := len(sorted)
	median := (sorted[(n-1)/2] + sorted[n/2]) / 2
	worst, loss := q.rttWorst, q.lossWorst
	return &models.CallQuality{Samples: q.samples, RTTMedianMs: &median, RTTWorstMs: &worst,
		LossWorstPct: &loss, UsedRelay: q.relay, SetupMs: q.setup}
}

// handedQuality is what a node that leaves kept of a call's quality, for
// the node that records the call after it (frameQuality).
type handedQuality struct {
	Call      string    `json:"call"`
	Samples   int       `json:"samples"`
	RTTs      []float64 `json:"rtts"`
	RTTWorst  float64   `json:"rttWorst"`
	LossWorst float64   `json:"lossWorst"`
	Relay     bool      `json:"relay"`
	Setup     *float64  `json:"setup,omitempty"`
}

// handOverQuality sends the samples this node kept of the calls others
// record now (it leaves the cluster) to those nodes. Loop only.
func (h *Hub) handOverQuality() {
	for id, q := range h.quality.calls {
		if h.recordsHere(q.rec) || q.samples == 0 {
			continue
		}
		w := handedQuality{Call: id, Samples: q.samples, RTTs: q.rtts, RTTWorst: q.rttWorst,
			LossWorst: q.lossWorst, Relay: q.relay, Setup: q.setup}
		if data, err := json.Marshal(&w); err == nil {
			h.sendFrame(q.rec, frameQuality, 0, 0, data)
		}
	}
}

// merge adds the samples another node kept of the call.
func (q *quality) merge(w *handedQuality) {
	q.samples += w.Samples
	q.rtts = append(q.rtts, w.RTTs...)
	if len(q.rtts) > rttKept { // keep every other: the median stays near
		for i := range len(q.rtts) / 2 {
			q.rtts[i] = q.rtts[2*i]
		}
		q.rtts = q.rtts[:len(q.rtts)/2]
		q.stride *= 2
	}
	q.rttWorst = max(q.rttWorst, w.RTTWorst)
	q.lossWorst = max(q.lossWorst, w.LossWorst)
	q.relay = q.relay || w.Relay
	if w.Setup != nil && (q.setup == nil || *w.Setup < *q.setup) {
		q.setup = w.Setup
	}
}
