package main

import (
	"context"
	"time"

	"callapp/models"
)

// fanoutReport is the fanout workload's result.
type fanoutReport struct {
	Users      int           `json:"users"`
	Interval   time.Duration `json:"interval_ns"`
	Messages   int64         `json:"messages"`
	SendErrors int64         `json:"send_errors"`
	Expected   int64         `json:"deliveries_expected"`
	Delivered  int64         `json:"deliveries"`
	Lost       int64         `json:"lost"`
	PerSecond  float64       `json:"deliveries_per_second"`
	Latency    Summary       `json:"latency"` // per delivery, send to receipt
	Server     serverUsage   `json:"server"`  // CPU per delivery
	Events     eventCounts   `json:"events"`
}

// fanout puts -users online and sends a group chat message every
// -interval, each from the next user in turn (so one user's chat rate is
// 1/(users*interval)); every online user, sender included, gets each one.
func (r *runner) fanout(ctx context.Context) error {
	fr := &fanoutReport{Users: r.cfg.Users, Interval: r.cfg.Interval}
	r.rep.Fanout = fr
	clients, open, err := r.openAll(ctx, r.dial, r.accts, 0, true)
	r.rep.Open = &open
	if err != nil {
		return err
	}
	r.log.Info("websockets open", "count", len(clients), "per_second", int(open.PerSecond))
	r.waitQuiet(ctx, r.ev, r.cfg.Settle, 5*time.Minute)
	p, err := r.ev.newPhase()
	if err != nil {
		return err
	}
	before, evBefore := r.probe.sample(ctx), r.ev.snapshot()
	start := time.Now()
	total := int64(r.cfg.Duration / r.cfg.Interval)
	for k := int64(0); k < total && ctx.Err() == nil; k++ {
		if wait := time.Duration(k)*r.cfg.Interval - time.Since(start); wait > 0 {
			sleep(ctx, wait)
		}
		from := clients[k%int64(len(clients))]
		online := int64(aliveCount(clients))
		text := string(appendMarker(nil, stamp{phase: p.id, seq: k, sent: clock()})) + " fanout"
		if err := from.sendJSON(models.Inbound{Method: models.MethodSendToAll, Type: models.TypeText, Message: text}); err != nil {
			fr.SendErrors++
			continue
		}
		p.sent.Add(online) // everyone online gets it, the sender too
		fr.Messages++
	}
	lastAt := drain(ctx, p, p.sent.Load(), r.cfg.Drain)
	after := r.probe.sample(ctx)
	fr.Expected, fr.Delivered = p.sent.Load(), p.recv.Load()
	fr.Lost = max(fr.Expected-fr.Delivered, 0)
	fr.PerSecond = PerSecond(fr.Delivered, lastAt.Sub(start))
	fr.Latency, _ = p.lat.Summary()
	fr.Server = r.probe.usage(before, after, fr.Delivered)
	fr.Events = r.ev.snapshot().since(evBefore)
	r.log.Info("fanout done", "messages", fr.Messages, "deliveries", fr.Delivered, "lost", fr.Lost,
		"p50", fr.Latency.P50, "p99", fr.Latency.P99, "server_cpu_us_per_delivery", round2(fr.Server.CPUPerUnitUS))
	return ctx.Err()
}

func aliveCount(clients []*client) int {
	n := 0
	for _, c := range clients {
		if c.alive() {
			n++
		}
	}
	return n
}
