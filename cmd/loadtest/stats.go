package main

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Summary describes a set of latency samples. Percentiles use the
// nearest-rank method: P(p) is the smallest sample with at least p % of the
// samples at or below it, so every figure is a latency that really occurred.
type Summary struct {
	Count int64         `json:"count"`
	Min   time.Duration `json:"min_ns"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P95   time.Duration `json:"p95_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
	// Histogram counts the kept samples per HistogramBounds bucket.
	Histogram []int64 `json:"histogram,omitempty"`
}

// Summarize returns the summary of samples (nanoseconds); it sorts samples
// in place. No samples give a zero Summary.
func Summarize(samples []int64) Summary {
	n := len(samples)
	if n == 0 {
		return Summary{}
	}
	slices.Sort(samples)
	var sum float64
	for _, v := range samples {
		sum += float64(v)
	}
	return Summary{
		Count: int64(n),
		Min:   time.Duration(samples[0]),
		Mean:  time.Duration(sum / float64(n)),
		P50:   time.Duration(Percentile(samples, 50)),
		P95:   time.Duration(Percentile(samples, 95)),
		P99:   time.Duration(Percentile(samples, 99)),
		Max:   time.Duration(samples[n-1]),

		Histogram: Histogram(samples, HistogramBounds),
	}
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted, or 0 when it is empty.
func Percentile(sorted []int64, p float64) int64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Recorder collects latency samples from many goroutines. It is sharded so
// that the load tool's readers rarely wait for each other; a caller passes
// any stable number (its connection's index) to pick a shard.
type Recorder struct {
	shards []recorderShard
	limit  int // samples kept per shard; later ones are counted, not kept
}

type recorderShard struct {
	mu      sync.Mutex
	samples []int64
	dropped int64
	max     int64
	_       [32]byte // keep shards on separate cache lines
}

// recorderShards spreads the readers; more than the cores is plenty.
const recorderShards = 64

// NewRecorder returns a recorder that keeps at most maxSamples samples; the
// workloads are bounded so this is a guard, not a sampling scheme.
func NewRecorder(maxSamples int) *Recorder {
	return &Recorder{shards: make([]recorderShard, recorderShards), limit: max(maxSamples/recorderShards, 1)}
}

// Add records one sample, in nanoseconds.
func (r *Recorder) Add(hint int, ns int64) {
	s := &r.shards[uint(hint)%recorderShards]
	s.mu.Lock()
	if len(s.samples) < r.limit {
		s.samples = append(s.samples, ns)
	} else {
		s.dropped++
	}
	s.max = max(s.max, ns)
	s.mu.Unlock()
}

// Summary merges the shards. Samples past the limit are left out of the
// percentiles but still count in Count and Max, and are reported as
// dropped.
func (r *Recorder) Summary() (sum Summary, dropped int64) {
	var all []int64
	var top int64
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		all = append(all, s.samples...)
		dropped += s.dropped
		top = max(top, s.max)
		s.mu.Unlock()
	}
	sum = Summarize(all)
	sum.Count += dropped
	if dropped > 0 {
		sum.Max = time.Duration(top)
	}
	return sum, dropped
}

// HistogramBounds are the upper bounds of the latency histogram in the
// JSON report, from 100 us to 1 s; a last bucket holds everything slower.
var HistogramBounds = []time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
	20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second,
}

// Histogram counts sorted samples into len(bounds)+1 buckets: bucket i
// holds samples <= bounds[i] and above bounds[i-1]; the last holds the rest.
func Histogram(sorted []int64, bounds []time.Duration) []int64 {
	counts := make([]int64, len(bounds)+1)
	i := 0
	for _, v := range sorted {
		for i < len(bounds) && v > int64(bounds[i]) {
			i++
		}
		counts[i]++
	}
	return counts
}

// PerSecond returns count / elapsed, or 0 for no time.
func PerSecond(count int64, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(count) / elapsed.Seconds()
}

// Median returns the middle of values (the mean of the two middle ones for
// an even count), or 0 for none. values is not changed.
func Median(values []float64) float64 {
	n := len(values)
	if n == 0 {
		return 0
	}
	v := slices.Clone(values)
	slices.Sort(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// Verdict says whether a run at one rate kept up, and if not, why.
type Verdict struct {
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

// Outcome is what one step of a run achieved, for Judge.
type Outcome struct {
	Offered int64         // messages the schedule called for
	Sent    int64         // messages written
	Lost    int64         // sent but not received in time
	P99     time.Duration // of the received ones
}

// minSentShare is how much of the schedule a step must really send: a
// step that fell behind (the server pushing back, or the tool out of CPU)
// did not offer the rate it is judged at.
const minSentShare = 0.95

// Judge applies the -find-max rule to one step: the offered rate was
// really sent, no message was lost, and p99 latency is at most limit.
func Judge(o Outcome, limit time.Duration) Verdict {
	switch {
	case o.Sent == 0:
		return Verdict{Reason: "nothing sent"}
	case float64(o.Sent) < minSentShare*float64(o.Offered):
		return Verdict{Reason: "could not send at the offered rate"}
	case o.Lost > 0:
		return Verdict{Reason: "lost messages"}
	case o.P99 > limit:
		return Verdict{Reason: "p99 over " + limit.String()}
	}
	return Verdict{OK: true}
}

// Thresholds past which a step ran on a busy machine: other processes
// used a fifth of a core, or the hypervisor withheld 5 % of the time.
const (
	busyOtherCPU = 20.0 // percent of one core
	busySteal    = 5.0  // percent of all cores' time
)

// Busy reports whether a step's figures were taken on a busy machine.
func Busy(otherCPU, stealPercent float64) bool {
	return otherCPU > busyOtherCPU || stealPercent > busySteal
}

// Stepper chooses the offered rates of a -find-max search: it multiplies
// the rate by Factor while steps pass, then bisects between the last good
// and the first bad rate Refine times. The answer is the last good rate.
type Stepper struct {
	factor, maxRate float64
	refine          int

	rate      float64
	good, bad float64 // 0: none yet
	bisected  int
	done      bool
}

// NewStepper starts at start and never offers more than maxRate.
func NewStepper(start, factor, maxRate float64, refine int) *Stepper {
	if factor <= 1 {
		factor = 1.25
	}
	return &Stepper{factor: factor, maxRate: maxRate, refine: refine, rate: min(start, maxRate)}
}

// Rate is the rate to offer next.
func (s *Stepper) Rate() float64 { return s.rate }

// Done reports whether the search is over.
func (s *Stepper) Done() bool { return s.done }

// Best is the highest rate that passed, or 0 when none did.
func (s *Stepper) Best() float64 { return s.good }

// Record takes the verdict on the step at Rate and moves to the next rate.
func (s *Stepper) Record(ok bool) {
	if s.done {
		return
	}
	if ok {
		s.good = s.rate
	} else {
		s.bad = s.rate
	}
	switch {
	case s.bad == 0 && s.rate >= s.maxRate:
		s.done = true // never failed up to the ceiling
	case s.bad == 0:
		s.rate = min(s.rate*s.factor, s.maxRate)
	case s.good == 0 || s.bisected >= s.refine:
		s.done = true
	default:
		s.bisected++
		s.rate = math.Round((s.good + s.bad) / 2)
	}
}
