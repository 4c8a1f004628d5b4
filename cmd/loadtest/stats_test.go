package main

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestSummarizeEmpty(t *testing.T) {
	if got := Summarize(nil); got.Count != 0 || got.P99 != 0 || got.Max != 0 || got.Histogram != nil {
		t.Errorf("Summarize(nil) = %+v, want zero", got)
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %d", got)
	}
}

func TestSummarizeOneSample(t *testing.T) {
	got := Summarize([]int64{int64(3 * time.Millisecond)})
	want := 3 * time.Millisecond
	if got.Count != 1 || got.Min != want || got.Mean != want || got.P50 != want || got.P95 != want ||
		got.P99 != want || got.Max != want {
		t.Errorf("one sample: %+v", got)
	}
}

func TestPercentilesNearestRank(t *testing.T) {
	// 1..100: the p-th percentile of 100 evenly spread samples is p itself.
	samples := make([]int64, 100)
	for i := range samples {
		samples[i] = int64(i + 1)
	}
	rand.Shuffle(len(samples), func(i, j int) { samples[i], samples[j] = samples[j], samples[i] })
	got := Summarize(samples)
	if got.Min != 1 || got.P50 != 50 || got.P95 != 95 || got.P99 != 99 || got.Max != 100 || got.Mean != 50 {
		t.Errorf("1..100: %+v", got)
	}
	// Ten samples: p50 is the 5th, p95 and p99 round up to the 10th.
	ten := []int64{10, 20, 30, 40, 50, 60, 70, 80, 90, 1000}
	cases := []struct {
		p    float64
		want int64
	}{{1, 10}, {10, 10}, {11, 20}, {50, 50}, {51, 60}, {90, 90}, {95, 1000}, {99, 1000}, {100, 1000}}
	for _, c := range cases {
		if got := Percentile(ten, c.p); got != c.want {
			t.Errorf("Percentile(ten, %v) = %d, want %d", c.p, got, c.want)
		}
	}
}

func TestHistogramBuckets(t *testing.T) {
	bounds := []time.Duration{10, 20}
	got := Histogram([]int64{1, 10, 11, 20, 21, 500}, bounds)
	if !slices.Equal(got, []int64{2, 2, 2}) {
		t.Errorf("Histogram = %v, want [2 2 2]", got)
	}
	if got := Histogram(nil, bounds); !slices.Equal(got, []int64{0, 0, 0}) {
		t.Errorf("empty Histogram = %v", got)
	}
}

func TestRecorderConcurrentAndLimit(t *testing.T) {
	r := NewRecorder(1 << 20)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				r.Add(g, int64(g*1000+i+1))
			}
		}()
	}
	wg.Wait()
	sum, dropped := r.Summary()
	if sum.Count != 8000 || dropped != 0 || sum.Min != 1 || sum.Max != 8000 || sum.P50 != 4000 {
		t.Errorf("summary %+v, dropped %d", sum, dropped)
	}

	small := NewRecorder(recorderShards) // one sample per shard
	small.Add(0, 5)
	small.Add(0, 9) // over the shard's limit: counted, not kept
	sum, dropped = small.Summary()
	if sum.Count != 2 || dropped != 1 || sum.Max != 9 || sum.P99 != 5 {
		t.Errorf("limited: %+v, dropped %d", sum, dropped)
	}
}

func TestPerSecondAndMedian(t *testing.T) {
	if got := PerSecond(500, 2*time.Second); got != 250 {
		t.Errorf("PerSecond = %v", got)
	}
	if got := PerSecond(5, 0); got != 0 {
		t.Errorf("PerSecond over no time = %v", got)
	}
	in := []float64{30, 10, 20}
	if got := Median(in); got != 20 || in[0] != 30 {
		t.Errorf("Median = %v (input %v)", got, in)
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("even Median = %v", got)
	}
	if got := Median(nil); got != 0 {
		t.Errorf("empty Median = %v", got)
	}
}

func TestJudge(t *testing.T) {
	limit := 50 * time.Millisecond
	cases := []struct {
		o  Outcome
		ok bool
	}{
		{Outcome{Offered: 1000, Sent: 1000, P99: 10 * time.Millisecond}, true},
		{Outcome{Offered: 1000, Sent: 1000, P99: limit}, true}, // at the limit is not "p99 > 50 ms"
		{Outcome{Offered: 1000, Sent: 950, P99: limit}, true},
		{Outcome{Offered: 1000, Sent: 1000, P99: limit + 1}, false},
		{Outcome{Offered: 1000, Sent: 1000, Lost: 1, P99: time.Millisecond}, false},
		{Outcome{Offered: 1000, Sent: 949, P99: time.Millisecond}, false},
		{Outcome{}, false},
	}
	for _, c := range cases {
		if got := Judge(c.o, limit); got.OK != c.ok || (!got.OK && got.Reason == "") {
			t.Errorf("Judge(%+v) = %+v, want ok=%v", c.o, got, c.ok)
		}
	}
}

// search feeds a stepper a system that passes up to capacity and returns the
// rates it offered.
func search(s *Stepper, capacity float64) []float64 {
	var rates []float64
	for i := 0; !s.Done() && i < 100; i++ {
		rates = append(rates, s.Rate())
		s.Record(s.Rate() <= capacity)
	}
	return rates
}

func TestStepperRaisesThenBisects(t *testing.T) {
	s := NewStepper(1000, 2, 1e6, 2)
	rates := search(s, 5000)
	// 1000, 2000, 4000 pass; 8000 fails; bisect 6000 (fail), 5000 (pass).
	want := []float64{1000, 2000, 4000, 8000, 6000, 5000}
	if !slices.Equal(rates, want) || s.Best() != 5000 {
		t.Errorf("rates %v best %v, want %v best 5000", rates, s.Best(), want)
	}
}

func TestStepperEdges(t *testing.T) {
	s := NewStepper(1000, 2, 1e6, 0)
	if rates := search(s, 0); !slices.Equal(rates, []float64{1000}) || s.Best() != 0 {
		t.Errorf("first step fails: rates %v best %v", rates, s.Best())
	}
	s = NewStepper(1000, 2, 3000, 3)
	if rates := search(s, 1e9); !slices.Equal(rates, []float64{1000, 2000, 3000}) || s.Best() != 3000 {
		t.Errorf("never fails: rates %v best %v, want to stop at the ceiling", rates, s.Best())
	}
	s = NewStepper(1000, 2, 1e6, 0)
	if rates := search(s, 3000); !slices.Equal(rates, []float64{1000, 2000, 4000}) || s.Best() != 2000 {
		t.Errorf("no refining: rates %v best %v", rates, s.Best())
	}
	s = NewStepper(1000, 1, 1e6, 0) // a factor of 1 would never move
	if rates := search(s, 1100); len(rates) != 2 || rates[1] != 1250 {
		t.Errorf("factor 1: rates %v, want the default factor", rates)
	}
	s.Record(true) // after Done: ignored
	if s.Best() != 1000 {
		t.Errorf("Record after Done changed Best to %v", s.Best())
	}
}

func TestBusy(t *testing.T) {
	cases := []struct {
		other, steal float64
		busy         bool
	}{{0, 0, false}, {20, 5, false}, {20.1, 0, true}, {0, 5.1, true}}
	for _, c := range cases {
		if got := Busy(c.other, c.steal); got != c.busy {
			t.Errorf("Busy(%v, %v) = %v", c.other, c.steal, got)
		}
	}
}
