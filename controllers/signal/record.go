package signal

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"callapp/models"
)

// callEvent is one change to a call record: a new call, its answer, or
// its end.
type callEvent struct {
	create   *models.Call
	id       string
	at       time.Time
	answered bool
	reason   string // the end reason when neither create nor answered
}

// recorder writes call records on its own goroutine, so that the loop
// never waits for the database. Events are written in the order the loop
// pushed them, which is the order the calls changed; the queue is
// unbounded so that a slow database delays records but never loses them
// or stalls signaling.
type recorder struct {
	store Store
	log   *slog.Logger
	mu    sync.Mutex
	queue []callEvent
	wake  chan struct{} // capacity 1: "the queue is not empty"
	quit  chan struct{}
	done  chan struct{}
}

func newRecorder(store Store, log *slog.Logger) *recorder {
	r := &recorder{
		store: store, log: log,
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
	}
	go r.run()
	return r
}

// push queues an event; it never blocks.
func (r *recorder) push(e callEvent) {
	r.mu.Lock()
	r.queue = append(r.queue, e)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// close writes what is queued and stops. Nothing may push after it.
func (r *recorder) close() {
	close(r.quit)
	<-r.done
}

func (r *recorder) run() {
	defer close(r.done)
	for {
		select {
		case <-r.wake:
			r.flush()
		case <-r.quit:
			r.flush()
			return
		}
	}
}

func (r *recorder) flush() {
	r.mu.Lock()
	batch := r.queue
	r.queue = nil
	r.mu.Unlock()
	for i := range batch {
		if err := r.write(&batch[i]); err != nil {
			r.log.Error("recording a call failed", "call", batch[i].id, "err", err)
		}
	}
}

func (r *recorder) write(e *callEvent) error {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	switch {
	case e.create != nil:
		e.id = e.create.ID
		return r.store.CreateCall(ctx, e.create)
	case e.answered:
		return r.store.MarkCallAnswered(ctx, e.id, e.at)
	default:
		return r.store.MarkCallEnded(ctx, e.id, e.at, e.reason)
	}
}
