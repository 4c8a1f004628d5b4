package signal

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"callapp/dao"
	"callapp/models"
)

// callEvent is one change to a call record: a new call, its answer, its
// end, or its quality.
type callEvent struct {
	create   *models.Call
	quality  *models.CallQuality
	id       string
	at       time.Time
	answered bool
	resumed  bool   // a party came back within the resume grace
	reason   string // the end reason when none of create, quality and answered
}

// heartbeat is the calls going on at one moment.
type heartbeat struct {
	ids []string
	at  time.Time
}

// recorder writes call records on its own goroutine, so that the loop
// never waits for the database. Events are written one at a time in the
// order the loop pushed them, which is the order the calls changed. A
// write that fails is tried again, with growing pauses, before any later
// one: a database that stops answering delays the records but loses none,
// and no call's end is written before its start. The queue is bounded, so
// that a long outage costs bounded memory: past RecordQueue events new
// ones are dropped, counted and logged.
type recorder struct {
	store Store
	log   *slog.Logger
	opts  *Options

	mu    sync.Mutex
	queue []callEvent
	beat  *heartbeat // the latest heartbeat not yet written

	queued  atomic.Int64
	dropped atomic.Uint64

	wake    chan struct{} // capacity 1: "there is something to write"
	stop    context.CancelFunc
	running context.Context // ends when the hub closes
	done    chan struct{}
}

func newRecorder(store Store, opts *Options) *recorder {
	r := &recorder{store: store, log: opts.Logger, opts: opts, wake: make(chan struct{}, 1), done: make(chan struct{})}
	r.running, r.stop = context.WithCancel(context.Background())
	go r.run()
	return r
}

// push queues an event; it never blocks. A full queue drops it.
func (r *recorder) push(e callEvent) {
	if e.create != nil {
		e.id = e.create.ID
	}
	r.mu.Lock()
	full := len(r.queue) >= r.opts.RecordQueue
	if !full {
		r.queue = append(r.queue, e)
		r.queued.Store(int64(len(r.queue)))
	}
	r.mu.Unlock()
	if full {
		r.dropped.Add(1)
		r.log.Error("call record dropped: too many records wait for the database", "call", e.id, "queued", r.opts.RecordQueue)
		return
	}
	r.signal()
}

// alive hands over the calls going on now; it replaces a heartbeat not
// yet written, which the new one makes useless.
func (r *recorder) alive(ids []string, at time.Time) {
	r.mu.Lock()
	r.beat = &heartbeat{ids: ids, at: at}
	r.mu.Unlock()
	r.signal()
}

func (r *recorder) signal() {
	select {
	case r.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// close stops taking events and gives the database RecordCloseWait to take
// what is queued; what it has not taken by then is logged as lost.
func (r *recorder) close() {
	r.stop()
	<-r.done
}

func (r *recorder) run() {
	defer close(r.done)
	r.writeUntil(r.running, true)
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.RecordCloseWait)
	defer cancel()
	r.writeUntil(ctx, false)
	r.abandon()
}

// writeUntil writes queued events in order until ctx ends. When the queue
// is empty it waits for more if more is set, and returns otherwise.
func (r *recorder) writeUntil(ctx context.Context, more bool) {
	var pause time.Duration // after the last failed write; 0 while writes succeed
	for ctx.Err() == nil {
		r.writeHeartbeat(ctx)
		e, ok := r.head()
		switch {
		case !ok && !more:
			return
		case !ok:
			select {
			case <-r.wake:
			case <-ctx.Done():
			}
		case r.write(ctx, e):
			r.pop()
			if pause > 0 {
				r.log.Info("call records are written again", "queued", r.queued.Load())
				pause = 0
			}
		default:
			pause = r.nextPause(pause)
			sleep(ctx, pause)
		}
	}
}

// write stores one event and reports whether it is done with: stored now,
// or found already stored by an attempt whose answer was lost.
func (r *recorder) write(ctx context.Context, e *callEvent) bool {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	var err error
	switch {
	case e.create != nil:
		err = r.store.CreateCall(ctx, e.create)
	case e.quality != nil:
		err = r.store.SetCallQuality(ctx, e.id, *e.quality)
	case e.answered:
		err = r.store.MarkCallAnswered(ctx, e.id, e.at)
	case e.resumed:
		err = r.store.MarkCallResumed(ctx, e.id)
	default:
		err = r.store.MarkCallEnded(ctx, e.id, e.at, e.reason)
	}
	if err == nil || errors.Is(err, dao.ErrDuplicate) || errors.Is(err, dao.ErrNotFound) {
		return true
	}
	if !errors.Is(ctx.Err(), context.Canceled) { // a write Close cut short is tried again at once
		r.log.Warn("recording a call failed; trying again", "call", e.id, "queued", r.queued.Load(), "err", err)
	}
	return false
}

// nextPause doubles the pause between attempts from RecordRetry up to
// RecordRetryMax.
func (r *recorder) nextPause(pause time.Duration) time.Duration {
	return min(max(2*pause, r.opts.RecordRetry), r.opts.RecordRetryMax)
}

// writeHeartbeat stores the pending heartbeat, if any. One that fails is
// not retried: the next one says more.
func (r *recorder) writeHeartbeat(ctx context.Context) {
	r.mu.Lock()
	b := r.beat
	r.beat = nil
	r.mu.Unlock()
	if b == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := r.store.MarkCallsAlive(ctx, b.ids, b.at); err != nil {
		r.log.Warn("call heartbeat not stored", "calls", len(b.ids), "err", err)
	}
}

// head returns the oldest queued event, left in the queue until written.
func (r *recorder) head() (*callEvent, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queue) == 0 {
		return nil, false
	}
	return &r.queue[0], true
}

func (r *recorder) pop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queue[0] = callEvent{}
	r.queue = r.queue[1:]
	r.queued.Store(int64(len(r.queue)))
}

// abandon logs and counts the events the database did not take before
// shutdown; the start-up after closes the calls they leave open.
func (r *recorder) abandon() {
	r.mu.Lock()
	lost := r.queue
	r.queue = nil
	r.mu.Unlock()
	if len(lost) == 0 {
		return
	}
	r.dropped.Add(uint64(len(lost)))
	r.queued.Store(0)
	ids := make([]string, 0, min(len(lost), lostListed))
	for i := range lost[:min(len(lost), lostListed)] {
		ids = append(ids, lost[i].id)
	}
	r.log.Error("call records lost at shutdown: the database did not take them in time", "records", len(lost), "calls", ids)
}

// lostListed is how many lost records the shutdown log names.
const lostListed = 20

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
