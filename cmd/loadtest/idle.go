package main

import (
	"context"
	"time"
)

// idleReport is the idle workload's result.
type idleReport struct {
	Conns          int           `json:"connections"`
	Settled        time.Duration `json:"settled_ns"` // until the server went quiet after the last connect
	Held           time.Duration `json:"held_ns"`
	DroppedHolding int64         `json:"dropped_while_held"`
	RSSBefore      int64         `json:"rss_before_bytes,omitempty"`
	RSSAfter       int64         `json:"rss_after_bytes,omitempty"`
	BytesPerConn   float64       `json:"rss_bytes_per_connection,omitempty"`
	// RSS again at the end of the hold: with a -duration past two minutes
	// the server's periodic GC and scavenger have run, so less of it is
	// garbage not yet collected.
	RSSEnd          int64   `json:"rss_end_bytes,omitempty"`
	BytesPerConnEnd float64 `json:"rss_end_bytes_per_connection,omitempty"`
	// From the server's metrics, when -metrics-url answered.
	HeapPerConn       float64     `json:"heap_inuse_bytes_per_connection,omitempty"`
	StackPerConn      float64     `json:"stack_inuse_bytes_per_connection,omitempty"`
	GoroutinesPerConn float64     `json:"goroutines_per_connection,omitempty"`
	Server            serverUsage `json:"server"`
	Events            eventCounts `json:"events"`
}

// idle opens -conns connections as fast as -concurrency allows, lets the
// server settle, reads its memory, and holds them for -duration.
func (r *runner) idle(ctx context.Context) error {
	ir := &idleReport{}
	r.rep.Idle = ir
	before, evBefore := r.probe.sample(ctx), r.ev.snapshot()
	clients, open, err := r.openAll(ctx, r.dial, r.accts, 0, false)
	r.rep.Open = &open
	ir.Conns = len(clients)
	r.log.Info("websockets open", "count", len(clients), "failed", open.Failed, "per_second", int(open.PerSecond))
	if err != nil {
		return err
	}
	ir.Settled = r.waitQuiet(ctx, r.ev, r.cfg.Settle, 10*time.Minute)
	after := r.probe.sample(ctx)
	ir.Server = r.probe.usage(before, after, int64(len(clients)))
	if n := float64(len(clients)); n > 0 {
		if len(r.cfg.PIDs) > 0 {
			ir.RSSBefore, ir.RSSAfter = before.proc.RSS, after.proc.RSS
			ir.BytesPerConn = float64(after.proc.RSS-before.proc.RSS) / n
		}
		if before.metrics != nil && after.metrics != nil {
			per := func(name string) float64 { return (after.metrics[name] - before.metrics[name]) / n }
			ir.HeapPerConn = per("go_memstats_heap_inuse_bytes")
			ir.StackPerConn = per("go_memstats_stack_inuse_bytes")
			ir.GoroutinesPerConn = per("go_goroutines")
		}
	}
	r.log.Info("idle: settled", "after", ir.Settled.Round(time.Millisecond), "rss_per_conn", int(ir.BytesPerConn))
	held := r.ev.dropped.Load()
	start := time.Now()
	sleep(ctx, r.cfg.Duration)
	ir.Held = time.Since(start)
	ir.DroppedHolding = r.ev.dropped.Load() - held
	if end := r.probe.sample(ctx); len(r.cfg.PIDs) > 0 && len(clients) > 0 {
		ir.RSSEnd = end.proc.RSS
		ir.BytesPerConnEnd = float64(end.proc.RSS-before.proc.RSS) / float64(len(clients))
	}
	ir.Events = r.ev.snapshot().since(evBefore)
	return ctx.Err()
}
