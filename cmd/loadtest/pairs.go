package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"callapp/models"
)

// pairsReport is the pairs workload's result.
type pairsReport struct {
	Pairs        int            `json:"pairs"`
	PayloadBytes int            `json:"payload_bytes"`
	CallSetup    time.Duration  `json:"call_setup_ns"`
	Steps        []stepReport   `json:"steps"`
	FindMax      *findMaxReport `json:"find_max,omitempty"`
	LoginFlood   *floodReport   `json:"login_flood,omitempty"`
}

// stepReport is one paced stretch of relayed messages.
type stepReport struct {
	Run        int           `json:"run,omitempty"` // find-max search it belongs to
	Offered    float64       `json:"offered_per_s"`
	Window     time.Duration `json:"window_ns"`
	Sent       int64         `json:"sent"`
	Received   int64         `json:"received"`
	Lost       int64         `json:"lost"`
	Delivered  float64       `json:"delivered_per_s"`
	Latency    Summary       `json:"latency"`
	SendLag    Summary       `json:"send_lag"` // how late each send left against its schedule
	SendErrors int64         `json:"send_errors"`
	Verdict    *Verdict      `json:"verdict,omitempty"`
	Server     serverUsage   `json:"server"`
	Events     eventCounts   `json:"events"`
}

// findMaxReport is the -find-max answer: the best rate of each search and
// their median.
type findMaxReport struct {
	P99Limit time.Duration `json:"p99_limit_ns"`
	Best     []float64     `json:"best_per_run"`
	Median   float64       `json:"median_best"`
	Stopped  []string      `json:"stopped_because"`
}

// pairs runs P pairs in calls exchanging signaling at a paced rate, once,
// or as a -find-max search.
func (r *runner) pairs(ctx context.Context) error {
	pr := &pairsReport{Pairs: r.cfg.Pairs, PayloadBytes: r.cfg.PayloadBytes}
	r.rep.Pairs = pr
	routes, err := r.startCalls(ctx, r.accts, pr)
	if err != nil {
		return err
	}
	if !r.cfg.FindMax {
		stop := r.startLoginFlood(ctx, func(f *floodReport) { pr.LoginFlood = f })
		step, err := r.step(ctx, routes, r.cfg.Rate)
		stop()
		pr.Steps = append(pr.Steps, step)
		return err
	}
	return r.findMax(ctx, routes, pr)
}

// startCalls connects the pair accounts and puts each pair in a call.
func (r *runner) startCalls(ctx context.Context, accts []account, pr *pairsReport) ([]*relayRoute, error) {
	routes, setup, err := r.startPairs(ctx, accts, call)
	pr.CallSetup = setup
	return routes, err
}

// meetFunc brings two connected clients together (a call, a room) so
// that the server relays signaling between them.
type meetFunc func(ctx context.Context, a, b *client) error

// startPairs connects accts, brings each pair together with meet, and
// returns the routes and how long meeting took.
func (r *runner) startPairs(ctx context.Context, accts []account, meet meetFunc) ([]*relayRoute, time.Duration, error) {
	clients, open, err := r.openAll(ctx, r.dial, accts, 0, true)
	r.rep.Open = &open
	if err != nil {
		return nil, 0, err
	}
	r.log.Info("websockets open", "count", len(clients), "per_second", int(open.PerSecond))
	r.waitQuiet(ctx, r.ev, 300*time.Millisecond, 30*time.Second)
	start := time.Now()
	routes, err := r.setUpPairs(ctx, clients, meet)
	setup := time.Since(start)
	if err != nil {
		return nil, setup, err
	}
	r.log.Info("pairs met", "pairs", len(clients)/2, "elapsed", setup.Round(time.Millisecond))
	r.waitQuiet(ctx, r.ev, 300*time.Millisecond, 30*time.Second)
	return routes, setup, nil
}

// setUpPairs brings clients[2i] and clients[2i+1] together with meet and
// returns the two directions of every pair as routes.
func (r *runner) setUpPairs(ctx context.Context, clients []*client, meet meetFunc) ([]*relayRoute, error) {
	n := len(clients) / 2
	errs := make(chan error, n)
	sem := make(chan struct{}, r.cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := meet(ctx, clients[2*i], clients[2*i+1]); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	routes := make([]*relayRoute, 0, 2*n)
	for i := range n {
		a, b := clients[2*i], clients[2*i+1]
		routes = append(routes, newRoute(a, b, r.cfg.PayloadBytes), newRoute(b, a, r.cfg.PayloadBytes))
	}
	return routes, nil
}

// call runs invite (10017 to a, 10012 to b), accept (10013 to a).
func call(ctx context.Context, a, b *client) error {
	ringing := a.expect(models.CodeCallRinging, models.CodeCallFailed, models.CodeError)
	incoming := b.expect(models.CodeIncomingCall)
	if err := a.sendJSON(models.Inbound{Method: models.MethodInvite, Type: models.TypeText, ToID: b.acct.ID}); err != nil {
		return err
	}
	rep, err := a.await(ctx, ringing)
	if err != nil {
		return err
	}
	if rep.code != models.CodeCallRinging {
		return fmt.Errorf("invite %s -> %s: %s", a.acct.Name, b.acct.Name, rep.msg)
	}
	var ring struct {
		Data models.CallTargetEvent `json:"data"`
	}
	if err := json.Unmarshal(rep.msg, &ring); err != nil || ring.Data.CallID == "" {
		return fmt.Errorf("invite %s: bad 10017 %s", a.acct.Name, rep.msg)
	}
	if _, err := b.await(ctx, incoming); err != nil {
		return err
	}
	accepted := a.expect(models.CodeCallAccepted, models.CodeCallEnded)
	ref, _ := json.Marshal(models.CallRef{CallID: ring.Data.CallID})
	if err := b.sendJSON(models.Inbound{Method: models.MethodAccept, Type: models.TypeText, ToID: a.acct.ID, Data: ref}); err != nil {
		return err
	}
	if rep, err = a.await(ctx, accepted); err != nil {
		return err
	}
	if rep.code != models.CodeCallAccepted {
		return fmt.Errorf("accept %s -> %s: %s", b.acct.Name, a.acct.Name, rep.msg)
	}
	return nil
}

// relayRoute is one direction of a call: from sends to the peer toID.
type relayRoute struct {
	from     *client
	prefixes [3][]byte // envelope up to the payload, per method
	size     int       // whole envelope
	seq      int64     // owned by the one sender goroutine of this route
}

var relayMethods = [3]string{models.MethodOffer, models.MethodAnswer, models.MethodCandidate}

func newRoute(from, to *client, size int) *relayRoute {
	rt := &relayRoute{from: from, size: size}
	for i, m := range relayMethods {
		rt.prefixes[i] = []byte(`{"method":"` + m + `","type":1,"toId":` +
			strconv.FormatUint(to.acct.ID, 10) + `,"data":{"sdp":"`)
	}
	return rt
}

// envelope builds the next message of the route into buf: offer, answer
// and candidate in turn, stamped and padded to the route's size.
func (rt *relayRoute) envelope(buf []byte, phase int, sent int64) []byte {
	rt.seq++
	buf = append(buf[:0], rt.prefixes[rt.seq%3]...)
	buf = appendMarker(buf, stamp{phase: phase, seq: rt.seq, sent: sent})
	for pad := rt.size - len(buf) - 3; pad > 0; pad-- {
		buf = append(buf, 'x')
	}
	return append(buf, `"}}`...)
}

// step sends at rate for the configured duration, waits for the stragglers,
// and reports.
func (r *runner) step(ctx context.Context, routes []*relayRoute, rate float64) (stepReport, error) {
	p, err := r.ev.newPhase()
	if err != nil {
		return stepReport{}, err
	}
	lag := NewRecorder(maxSamplesPerPhase)
	before, evBefore := r.probe.sample(ctx), r.ev.snapshot()
	start := time.Now()
	sendErrs := r.pace(ctx, routes, rate, p, lag)
	window := time.Since(start)
	lastAt := drain(ctx, p, p.sent.Load(), r.cfg.Drain)
	after := r.probe.sample(ctx)
	sent, recv := p.sent.Load(), p.recv.Load()
	st := stepReport{
		Offered: rate, Window: window, Sent: sent, Received: recv, Lost: max(sent-recv, 0),
		Delivered: PerSecond(recv, lastAt.Sub(start)), SendErrors: sendErrs,
		Server: r.probe.usage(before, after, recv), Events: r.ev.snapshot().since(evBefore),
	}
	st.Latency, _ = p.lat.Summary()
	st.SendLag, _ = lag.Summary()
	r.log.Info("step", "offered", int(rate), "sent", sent, "received", recv, "delivered_per_s", int(st.Delivered),
		"p50", st.Latency.P50, "p99", st.Latency.P99, "max", st.Latency.Max,
		"server_cpu_us_per_msg", round2(st.Server.CPUPerUnitUS), "tool_cpu_pct", int(st.Server.ToolCPU))
	return st, ctx.Err()
}

// pace sends rate messages per second for the configured duration,
// spread evenly: the routes are shared among the sender goroutines, each
// of which walks its routes round-robin on a fixed schedule. A sender that
// falls behind catches up in a burst; how late each message left is in
// lag. It returns the number of failed writes.
func (r *runner) pace(ctx context.Context, routes []*relayRoute, rate float64, p *phase, lag *Recorder) int64 {
	senders := min(r.cfg.Senders, len(routes))
	errs := make([]int64, senders)
	start := time.Now()
	var wg sync.WaitGroup
	for s := range senders {
		var mine []*relayRoute
		for i := s; i < len(routes); i += senders {
			mine = append(mine, routes[i])
		}
		share := rate * float64(len(mine)) / float64(len(routes))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[s] = paceOne(ctx, mine, share, start, r.cfg.Duration, p, lag, s)
		}()
	}
	wg.Wait()
	var total int64
	for _, e := range errs {
		total += e
	}
	return total
}

// paceOne is one sender goroutine of pace.
func paceOne(ctx context.Context, routes []*relayRoute, rate float64, start time.Time, d time.Duration, p *phase, lag *Recorder, hint int) int64 {
	interval := float64(time.Second) / rate
	total := int64(d.Seconds() * rate)
	buf := make([]byte, 0, 1024)
	var errs int64
	startNS := clock() - int64(time.Since(start))
	for k := int64(0); k < total && ctx.Err() == nil; {
		due := int64(float64(time.Since(start))/interval) + 1
		for ; k < due && k < total; k++ {
			rt := routes[k%int64(len(routes))]
			now := clock()
			buf = rt.envelope(buf, p.id, now)
			p.sent.Add(1)
			if err := rt.from.send(buf); err != nil {
				p.sent.Add(-1)
				errs++
				continue
			}
			lag.Add(hint, now-startNS-int64(float64(k)*interval))
		}
		if wait := time.Duration(float64(k)*interval) - time.Since(start); wait > 0 {
			time.Sleep(wait)
		}
	}
	return errs
}

// findMax raises the rate step by step until a step fails, bisects, and
// reports the last good rate; it does so -runs times.
func (r *runner) findMax(ctx context.Context, routes []*relayRoute, pr *pairsReport) error {
	fm := &findMaxReport{P99Limit: r.cfg.P99Limit}
	pr.FindMax = fm
	for run := 1; run <= r.cfg.Runs; run++ {
		s := NewStepper(r.cfg.Rate, r.cfg.StepFactor, r.cfg.MaxRate, r.cfg.Refine)
		last := "reached -max-rate"
		repeats := 0
		for !s.Done() {
			st, err := r.step(ctx, routes, s.Rate())
			v := Judge(Outcome{Offered: int64(s.Rate() * r.cfg.Duration.Seconds()), Sent: st.Sent, Lost: st.Lost, P99: st.Latency.P99}, r.cfg.P99Limit)
			st.Run, st.Verdict = run, &v
			pr.Steps = append(pr.Steps, st)
			if err != nil {
				return err
			}
			switch {
			case !v.OK && repeats < r.cfg.BusyRepeats && Busy(st.Server.OtherCPU, st.Server.StealPercent):
				// Other work or the hypervisor took the CPU: the step says
				// nothing about the server. Try the same rate again.
				v.Reason += "; machine busy, repeated"
				repeats++
				r.log.Warn("step failed on a busy machine; repeating it", "other_cpu_pct", int(st.Server.OtherCPU), "steal_pct", st.Server.StealPercent)
			case !v.OK:
				last = fmt.Sprintf("%s at %.0f/s", v.Reason, s.Rate())
				fallthrough
			default:
				s.Record(v.OK)
				repeats = 0
			}
			sleep(ctx, r.cfg.StepPause)
			if !r.callsAlive(routes) {
				// The server dropped a connection (a slow reader, most
				// likely): that step failed; start the calls afresh.
				r.log.Warn("a pair's connection closed; reconnecting the pairs")
				if routes, err = r.restartCalls(ctx, routes); err != nil {
					return err
				}
			}
		}
		fm.Best = append(fm.Best, s.Best())
		fm.Stopped = append(fm.Stopped, last)
		r.log.Info("find-max run done", "run", run, "best_per_s", s.Best(), "last_failure", last)
	}
	fm.Median = Median(fm.Best)
	return nil
}

// restartCalls closes the pairs' connections and sets the calls up again.
func (r *runner) restartCalls(ctx context.Context, routes []*relayRoute) ([]*relayRoute, error) {
	for _, rt := range routes {
		rt.from.close()
	}
	for _, rt := range routes {
		<-rt.from.done
	}
	clients, _, err := r.openAll(ctx, r.dial, r.accts[:2*r.cfg.Pairs], 0, true)
	if err != nil {
		return nil, err
	}
	r.waitQuiet(ctx, r.ev, 300*time.Millisecond, 30*time.Second)
	return r.setUpPairs(ctx, clients, call)
}

func (r *runner) callsAlive(routes []*relayRoute) bool {
	for _, rt := range routes {
		if !rt.from.alive() {
			return false
		}
	}
	return true
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }
