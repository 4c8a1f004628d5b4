package main

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// floodReport is what a login flood achieved while the relay was measured.
type floodReport struct {
	InFlight  int           `json:"in_flight"`
	OK        int64         `json:"ok"`
	Throttled int64         `json:"throttled"`
	Failed    int64         `json:"failed"`
	PerSecond float64       `json:"ok_per_second"`
	Latency   Summary       `json:"latency"`
	Elapsed   time.Duration `json:"elapsed_ns"`
}

// startLoginFlood keeps -login-flood logins in flight against
// POST /webrtc/login (right passwords: each costs the server a bcrypt
// compare) until the returned stop is called, which waits for them and
// hands the report to done. The logins start sessions that nobody uses;
// they expire with the server's session TTL.
func (r *runner) startLoginFlood(ctx context.Context, done func(*floodReport)) (stop func()) {
	n := r.cfg.LoginFlood
	if n == 0 || len(r.accts) == 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	rep := &floodReport{InFlight: n}
	lat := NewRecorder(1 << 20)
	var ok, throttled, failed, next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				name := r.accts[int(next.Add(1))%len(r.accts)].Name
				t0 := clock()
				_, status, err := r.api.auth(ctx, "login", name)
				switch {
				case err == nil:
					ok.Add(1)
					lat.Add(g, clock()-t0)
				case status == http.StatusTooManyRequests:
					throttled.Add(1)
					sleep(ctx, 100*time.Millisecond)
				case ctx.Err() != nil || errors.Is(err, context.Canceled):
				default:
					failed.Add(1)
					sleep(ctx, 100*time.Millisecond)
				}
			}
		}()
	}
	r.log.Info("login flood started", "in_flight", n)
	return func() {
		cancel()
		wg.Wait()
		rep.Elapsed = time.Since(start)
		rep.OK, rep.Throttled, rep.Failed = ok.Load(), throttled.Load(), failed.Load()
		rep.PerSecond = PerSecond(rep.OK, rep.Elapsed)
		rep.Latency, _ = lat.Summary()
		done(rep)
	}
}
