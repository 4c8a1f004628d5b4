package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"callapp/models"
)

// liveReport is the live workload's result: one broadcast, viewers coming
// and going.
type liveReport struct {
	Viewers    int           `json:"viewers"`
	Rate       float64       `json:"joins_offered_per_s"`
	Hold       time.Duration `json:"hold_ns"`
	Joins      int64         `json:"joins"` // Live/Watch sent
	PerSecond  float64       `json:"joins_per_s"`
	Skipped    int64         `json:"skipped_no_free_viewer"`
	Offers     int64         `json:"offers_received"`  // the broadcaster's offers that reached their viewer
	Lost       int64         `json:"offers_lost"`      // joins whose offer never came
	Answers    int64         `json:"answers_received"` // viewers' answers that reached the broadcaster
	Full       int64         `json:"full"`             // 10034: turned away
	SendErrors int64         `json:"send_errors"`
	// WatchToOffer is the time from a viewer's Live/Watch to the
	// broadcaster's offer arriving at that viewer.
	WatchToOffer Summary `json:"watch_to_offer"`
	// What the viewers heard of the viewer count (10030).
	Updates          int64         `json:"updates"`
	Window           time.Duration `json:"window_ns"` // from the first join to the last offer
	UpdatesPerViewer float64       `json:"updates_per_viewer_per_s"`
	// UpdateMinGap is the shortest time between two 10030 at one viewer,
	// as received: delivery delays on a busy machine shorten it.
	UpdateMinGap time.Duration `json:"update_min_gap_ns"`
	Server       serverUsage   `json:"server"` // CPU per join
	Events       eventCounts   `json:"events"`
}

// liveRun is what the clients' hooks act on once the broadcast is up.
type liveRun struct {
	liveID  string
	bcast   *client
	viewers map[uint64]*viewer // by user id; read-only once published
	p       *phase
	size    int

	offers, answers, full, sendErrs, updates atomic.Int64
	minGap                                   atomic.Int64
}

// offerWait bounds a viewer's wait for the broadcaster's offer before it
// starts watching; one that never comes counts as lost.
const offerWait = 10 * time.Second

// viewer is one viewing account.
type viewer struct {
	c          *client
	offered    chan struct{} // the broadcaster's offer came
	watchAt    atomic.Int64  // clock() at its latest Live/Watch
	lastUpdate atomic.Int64  // clock() at its latest 10030
}

// live starts one broadcast and has -viewers accounts watch it, joining at
// -churn-rate and each leaving after -churn-hold, for -duration. The
// broadcaster offers to each viewer on 10032, the viewer answers.
func (r *runner) live(ctx context.Context) error {
	lr := &liveReport{Viewers: r.cfg.Viewers, Rate: r.cfg.ChurnRate, Hold: r.cfg.ChurnHold}
	r.rep.Live = lr
	var state atomic.Pointer[liveRun]
	d := newDialer(r.cfg, r.ev)
	d.hook = func(c *client, code int, msg []byte) {
		if l := state.Load(); l != nil {
			l.handle(c, code, msg)
		}
	}
	l, err := r.startLive(ctx, d)
	if err != nil {
		return err
	}
	state.Store(l)
	before, evBefore := r.probe.sample(ctx), r.ev.snapshot()
	start := time.Now()
	r.watchLoop(ctx, l, lr)
	lastAt := drain(ctx, l.p, l.p.sent.Load(), r.cfg.Drain)
	l.drainAnswers(ctx, r.cfg.Drain)
	l.fill(lr, r.probe.usage(before, r.probe.sample(ctx), l.p.sent.Load()), lastAt.Sub(start))
	lr.Events = r.ev.snapshot().since(evBefore)
	r.log.Info("live done", "joins", lr.Joins, "offers", lr.Offers, "lost", lr.Lost, "full", lr.Full,
		"p50", lr.WatchToOffer.P50, "p99", lr.WatchToOffer.P99, "updates_per_viewer_per_s", round2(lr.UpdatesPerViewer))
	return ctx.Err()
}

// startLive connects everyone and makes the first account broadcast.
func (r *runner) startLive(ctx context.Context, d *dialer) (*liveRun, error) {
	clients, open, err := r.openAll(ctx, d, r.accts, 0, true)
	r.rep.Open = &open
	if err != nil {
		return nil, err
	}
	r.waitQuiet(ctx, r.ev, 300*time.Millisecond, 30*time.Second)
	b := clients[0]
	liveID, err := goLive(ctx, b)
	if err != nil {
		return nil, err
	}
	r.waitQuiet(ctx, r.ev, 300*time.Millisecond, 30*time.Second) // everyone heard of it
	p, err := r.ev.newPhase()
	if err != nil {
		return nil, err
	}
	l := &liveRun{liveID: liveID, bcast: b, viewers: map[uint64]*viewer{}, p: p, size: r.cfg.PayloadBytes}
	for _, c := range clients[1:] {
		l.viewers[c.acct.ID] = &viewer{c: c, offered: make(chan struct{}, 1)}
	}
	l.minGap.Store(math.MaxInt64)
	return l, nil
}

// goLive makes b broadcast and returns the broadcast's id.
func goLive(ctx context.Context, b *client) (string, error) {
	started := b.expect(models.CodeLive, models.CodeError)
	title, _ := json.Marshal(models.LiveStart{Title: "load test"})
	if err := b.sendJSON(models.Inbound{Method: models.MethodLiveStart, Type: models.TypeText, Data: title}); err != nil {
		return "", err
	}
	rep, err := b.await(ctx, started)
	if err != nil {
		return "", err
	}
	var info struct {
		Data models.LiveInfo `json:"data"`
	}
	if rep.code != models.CodeLive || json.Unmarshal(rep.msg, &info) != nil || info.Data.LiveID == "" {
		return "", fmt.Errorf("live start: %s", rep.msg)
	}
	return info.Data.LiveID, nil
}

// handle acts on one envelope a client received: the broadcaster offers to
// a new viewer and counts answers; a viewer answers an offer and counts
// the viewer-count updates.
func (l *liveRun) handle(c *client, code int, msg []byte) {
	switch {
	case code == models.CodeLiveViewer && c == l.bcast:
		l.offer(msg)
	case code == models.CodeAnswer && c == l.bcast:
		l.answers.Add(1)
	case code == models.CodeOffer && c != l.bcast:
		l.answer(l.viewers[c.acct.ID])
	case code == models.CodeLive && c != l.bcast:
		l.update(c)
	case code == models.CodeLiveFull:
		l.full.Add(1)
	}
}

// offer sends the new viewer the broadcaster's offer, stamped with the
// time the viewer asked to watch.
func (l *liveRun) offer(msg []byte) {
	var ev struct {
		Data models.LiveViewer `json:"data"`
	}
	v := (*viewer)(nil)
	if json.Unmarshal(msg, &ev) == nil {
		v = l.viewers[ev.Data.FromID]
	}
	if v == nil {
		l.bcast.ev.note("10032 from an unknown viewer")
		return
	}
	mark := appendMarker(nil, stamp{phase: l.p.id, seq: l.offers.Load(), sent: v.watchAt.Load()})
	if err := l.bcast.send(relayEnvelope(models.MethodOffer, v.c.acct.ID, mark, l.size)); err != nil {
		l.sendErrs.Add(1)
	}
}

// answer is the viewer's reply to the broadcaster's offer.
func (l *liveRun) answer(v *viewer) {
	if v == nil {
		return
	}
	l.offers.Add(1)
	if err := v.c.send(relayEnvelope(models.MethodAnswer, l.bcast.acct.ID, nil, l.size)); err != nil {
		l.sendErrs.Add(1)
	}
	select {
	case v.offered <- struct{}{}:
	default:
	}
}

// update counts a 10030 at a viewer and the gap since its last one.
func (l *liveRun) update(c *client) {
	l.updates.Add(1)
	v := l.viewers[c.acct.ID]
	if v == nil {
		return
	}
	now := clock()
	if last := v.lastUpdate.Swap(now); last != 0 {
		for gap := now - last; ; {
			m := l.minGap.Load()
			if gap >= m || l.minGap.CompareAndSwap(m, gap) {
				break
			}
		}
	}
}

// relayEnvelope builds an offer or answer to toID carrying mark, padded
// to size bytes.
func relayEnvelope(method string, toID uint64, mark []byte, size int) []byte {
	b := []byte(`{"method":"` + method + `","type":1,"toId":` + strconv.FormatUint(toID, 10) + `,"data":{"sdp":"`)
	b = append(b, mark...)
	for pad := size - len(b) - 3; pad > 0; pad-- {
		b = append(b, 'x')
	}
	return append(b, `"}}`...)
}

// watchLoop has a free viewer watch every 1/-churn-rate for -duration;
// each leaves after -churn-hold and is free again.
func (r *runner) watchLoop(ctx context.Context, l *liveRun, lr *liveReport) {
	free := make(chan *viewer, len(l.viewers))
	for _, v := range l.viewers {
		free <- v
	}
	interval := time.Duration(float64(time.Second) / r.cfg.ChurnRate)
	total := int(r.cfg.Duration.Seconds() * r.cfg.ChurnRate)
	start := time.Now()
	var wg sync.WaitGroup
	for k := 0; k < total && ctx.Err() == nil; k++ {
		sleep(ctx, time.Duration(k)*interval-time.Since(start))
		select {
		case v := <-free:
			wg.Add(1)
			go func() {
				defer func() { free <- v; wg.Done() }()
				l.watch(ctx, v, r.cfg.ChurnHold)
			}()
		default:
			lr.Skipped++
		}
	}
	lr.PerSecond = PerSecond(l.p.sent.Load(), time.Since(start))
	wg.Wait()
}

// watch is one viewer's visit: Live/Watch, the offer, hold, Live/Leave.
// It holds from the offer, as a page plays from the media: leaving before
// the offer would have the relay refused.
func (l *liveRun) watch(ctx context.Context, v *viewer, hold time.Duration) {
	ref, _ := json.Marshal(models.LiveRef{LiveID: l.liveID})
	select {
	case <-v.offered: // a late one from the last visit
	default:
	}
	v.watchAt.Store(clock())
	if err := v.c.sendJSON(models.Inbound{Method: models.MethodLiveWatch, Type: models.TypeText, Data: ref}); err != nil {
		l.sendErrs.Add(1)
		return
	}
	l.p.sent.Add(1)
	t := time.NewTimer(offerWait)
	select {
	case <-v.offered:
		sleep(ctx, hold)
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	if err := v.c.sendJSON(models.Inbound{Method: models.MethodLiveLeave, Type: models.TypeText, Data: ref}); err != nil {
		l.sendErrs.Add(1)
	}
}

// drainAnswers waits until every offer's answer is back, or timeout.
func (l *liveRun) drainAnswers(ctx context.Context, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for l.answers.Load() < l.offers.Load() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(2 * time.Millisecond)
	}
}

// fill writes the counts into lr; window is the time the joins took.
func (l *liveRun) fill(lr *liveReport, usage serverUsage, window time.Duration) {
	lr.Joins, lr.Offers, lr.Answers = l.p.sent.Load(), l.offers.Load(), l.answers.Load()
	lr.Lost = max(lr.Joins-l.p.recv.Load(), 0)
	lr.Full, lr.SendErrors, lr.Updates = l.full.Load(), l.sendErrs.Load(), l.updates.Load()
	lr.WatchToOffer, _ = l.p.lat.Summary()
	lr.Window = window
	lr.UpdatesPerViewer = PerSecond(lr.Updates, window) / float64(max(len(l.viewers), 1))
	if g := l.minGap.Load(); g != math.MaxInt64 {
		lr.UpdateMinGap = time.Duration(g)
	}
	lr.Server = usage
}
