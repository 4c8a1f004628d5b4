package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// runner holds what every workload uses.
type runner struct {
	cfg    *settings
	log    *slog.Logger
	rep    *Report
	api    *apiClient
	ev     *events
	dial   *dialer
	probe  *serverProbe
	accts  []account
	mu     sync.Mutex
	opened []*client // every client still to close at the end
}

func newRunner(cfg *settings, log *slog.Logger, rep *Report) *runner {
	ev := newEvents()
	api := newAPIClient(cfg)
	return &runner{
		cfg: cfg, log: log, rep: rep, api: api, ev: ev, dial: newDialer(cfg, ev),
		probe: newServerProbe(cfg, api.http),
	}
}

// run prepares the accounts and runs the chosen workload.
func (r *runner) run(ctx context.Context) error {
	accts, arep, err := prepareAccounts(ctx, r.cfg, r.api, r.log)
	r.rep.Accounts = &arep
	if err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	r.accts = accts
	r.log.Info("accounts ready", "count", len(accts), "via", arep.Via, "elapsed", arep.Elapsed.Round(time.Millisecond))
	switch r.cfg.Workload {
	case workloadPairs:
		return r.pairs(ctx)
	case workloadFanout:
		return r.fanout(ctx)
	case workloadIdle:
		return r.idle(ctx)
	case workloadChurn:
		return r.churn(ctx)
	case workloadRooms:
		return r.rooms(ctx)
	case workloadLive:
		return r.live(ctx)
	}
	return fmt.Errorf("unknown workload %q", r.cfg.Workload)
}

// openReport describes opening a set of websockets.
type openReport struct {
	Requested int           `json:"requested"`
	Opened    int           `json:"opened"`
	Failed    int           `json:"failed"`
	FirstErr  string        `json:"first_error,omitempty"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	PerSecond float64       `json:"per_second"`
	Connect   Summary       `json:"connect_latency"`    // dial to welcome (10002)
	PerNode   []int         `json:"per_node,omitempty"` // opened on each node, with several
}

// openAll opens a websocket per account, concurrency at a time, each
// connected (10002 received). With mustAll, the first failure stops it.
func (r *runner) openAll(ctx context.Context, d *dialer, accts []account, firstIdx int, mustAll bool) ([]*client, openReport, error) {
	clients := make([]*client, len(accts))
	lat := NewRecorder(len(accts) + recorderShards)
	var next, failed atomic.Int64
	var firstErr atomic.Value
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range min(r.cfg.Concurrency, len(accts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(accts) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				t0 := clock()
				c, err := d.open(ctx, firstIdx+i, accts[i])
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					if mustAll {
						cancel()
					}
					continue
				}
				lat.Add(i, clock()-t0)
				clients[i] = c
				r.track(c)
				if n := i + 1; n%1000 == 0 {
					r.log.Info("connecting", "started", n, "of", len(accts))
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	open := compact(clients)
	sum, _ := lat.Summary()
	rep := openReport{
		Requested: len(accts), Opened: len(open), Failed: int(failed.Load()),
		Elapsed: el, PerSecond: PerSecond(int64(len(open)), el), Connect: sum,
	}
	if e, ok := firstErr.Load().(string); ok {
		rep.FirstErr = e
	}
	if len(d.urls) > 1 {
		rep.PerNode = make([]int, len(d.urls))
		for i, c := range clients {
			if c != nil {
				rep.PerNode[d.node(firstIdx+i)]++
			}
		}
	}
	if mustAll && len(open) < len(accts) {
		return open, rep, fmt.Errorf("opened %d of %d websockets: %s", len(open), len(accts), rep.FirstErr)
	}
	return open, rep, ctx.Err()
}

func compact(clients []*client) []*client {
	out := clients[:0:0]
	for _, c := range clients {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

func (r *runner) track(c *client) {
	r.mu.Lock()
	r.opened = append(r.opened, c)
	r.mu.Unlock()
}

// closeAll closes every websocket the run opened, a few at a time.
func (r *runner) closeAll() {
	r.mu.Lock()
	all := r.opened
	r.opened = nil
	r.mu.Unlock()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, c := range all {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c.close()
		}()
	}
	wg.Wait()
}

// waitQuiet waits until the run's clients have received nothing for quiet,
// or max passes: after connecting many users the server is still sending
// presence, which must not be measured as part of what follows.
func (r *runner) waitQuiet(ctx context.Context, ev *events, quiet, max time.Duration) time.Duration {
	start := time.Now()
	last, lastChange := ev.total.Load(), time.Now()
	for time.Since(start) < max && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
		if n := ev.total.Load(); n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) >= quiet {
			break
		}
	}
	return time.Since(start)
}

// drain waits until p has received want messages or timeout passes, and
// returns when the last one came (or the timeout).
func drain(ctx context.Context, p *phase, want int64, timeout time.Duration) time.Time {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if p.recv.Load() >= want {
			return time.Now()
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Now()
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
