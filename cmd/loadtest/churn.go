package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// churnReport is the churn workload's result: users coming and going while
// pairs talk in calls.
type churnReport struct {
	ChurnUsers int           `json:"churn_users"`
	Rate       float64       `json:"connects_offered_per_s"`
	Hold       time.Duration `json:"hold_ns"`
	Connects   int64         `json:"connects"`
	Failed     int64         `json:"connect_failures"`
	FirstErr   string        `json:"first_error,omitempty"`
	Skipped    int64         `json:"skipped_no_free_user"`
	PerSecond  float64       `json:"connects_per_s"`
	Connect    Summary       `json:"connect_latency"`
	// What the pairs' connections heard of the comings and goings.
	Presence          int64       `json:"presence_envelopes"`
	PresencePerSecond float64     `json:"presence_envelopes_per_s"`
	PresencePerUser   float64     `json:"presence_envelopes_per_user_per_s"`
	ChurnEvents       eventCounts `json:"churners_events"`
}

// churn runs the pairs at -rate while -churn-users accounts connect at
// -churn-rate, stay -churn-hold and leave.
func (r *runner) churn(ctx context.Context) error {
	pr := &pairsReport{Pairs: r.cfg.Pairs, PayloadBytes: r.cfg.PayloadBytes}
	cr := &churnReport{ChurnUsers: r.cfg.ChurnUsers, Rate: r.cfg.ChurnRate, Hold: r.cfg.ChurnHold}
	r.rep.Pairs, r.rep.Churn = pr, cr
	routes, err := r.startCalls(ctx, r.accts[:2*r.cfg.Pairs], pr)
	if err != nil {
		return err
	}
	churnEv := newEvents() // kept apart: presence counts are what the pairs heard
	d := newDialer(r.cfg, churnEv)
	nodes := len(d.urls) // -placement places the pairs; churners go round the nodes
	d.node = func(idx int) int { return nodeFor(placementSpread, nodes, idx) }
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.churnLoop(ctx, d, r.accts[2*r.cfg.Pairs:], cr)
	}()
	stop := r.startLoginFlood(ctx, func(f *floodReport) { pr.LoginFlood = f })
	step, err := r.step(ctx, routes, r.cfg.Rate)
	stop()
	cancel()
	wg.Wait()
	pr.Steps = append(pr.Steps, step)
	cr.Presence = step.Events.presence()
	cr.PresencePerSecond = PerSecond(cr.Presence, step.Window)
	cr.PresencePerUser = cr.PresencePerSecond / float64(2*r.cfg.Pairs)
	cr.ChurnEvents = churnEv.snapshot()
	r.log.Info("churn done", "connects", cr.Connects, "failed", cr.Failed, "presence_per_s", int(cr.PresencePerSecond))
	return err
}

// churnLoop opens a connection every 1/-churn-rate with the next free
// account, for as long as the pairs run.
func (r *runner) churnLoop(ctx context.Context, d *dialer, accts []account, cr *churnReport) {
	free := make(chan int, len(accts))
	for i := range accts {
		free <- i
	}
	lat := NewRecorder(1 << 20)
	var connects, failed, skipped atomic.Int64
	var firstErr atomic.Value
	interval := time.Duration(float64(time.Second) / r.cfg.ChurnRate)
	start := time.Now()
	var wg sync.WaitGroup
	for k := 0; ctx.Err() == nil && time.Since(start) < r.cfg.Duration; k++ {
		sleep(ctx, time.Duration(k)*interval-time.Since(start))
		select {
		case i := <-free:
			wg.Add(1)
			go func() {
				defer func() { free <- i; wg.Done() }()
				t0 := clock()
				c, err := d.open(ctx, 1_000_000+i, accts[i])
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
					return
				}
				connects.Add(1)
				lat.Add(i, clock()-t0)
				sleep(ctx, r.cfg.ChurnHold)
				c.close()
				<-c.done
			}()
		default:
			skipped.Add(1)
		}
	}
	wg.Wait()
	el := time.Since(start)
	cr.Connects, cr.Failed, cr.Skipped = connects.Load(), failed.Load(), skipped.Load()
	cr.PerSecond = PerSecond(cr.Connects, el)
	cr.Connect, _ = lat.Summary()
	if e, ok := firstErr.Load().(string); ok {
		cr.FirstErr = e
	}
}
