package signal

import (
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"callapp/models"
)

// client is one websocket connection of one user.
type client struct {
	hub  *Hub
	conn *websocket.Conn
	user models.UserView // from the session; the only identity a message has

	send       chan frame    // never closed: senders select on done instead
	done       chan struct{} // closed by stop: the writer says goodbye and ends
	readerDone chan struct{}
	writerDone chan struct{}
	stopOnce   sync.Once
	closeCode  int // written once, before done is closed
	closeText  string
	leaving    atomic.Bool // a goodbye is queued: nothing may follow it
	slow       atomic.Bool // dropped for not keeping up; counted once

	// Owned by the reader goroutine (readFailed: the writer reads it after
	// readerDone is closed).
	connected  bool          // User/Connect went through
	readFailed bool          // reading ended on an error, not a close frame
	limit      *rate.Limiter // messages per connection
	strikes    *rate.Limiter // rate-limited messages tolerated before a close
}

// frame is one queued write: a text message, or a close frame that ends
// the writer once everything queued before it is written.
type frame struct {
	msg       []byte
	closeCode int
	closeText string
}

func newClient(h *Hub, u models.UserView) *client {
	o := &h.opts
	return &client{
		hub: h, user: u,
		send:       make(chan frame, o.SendQueue),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
		limit:      rate.NewLimiter(rate.Limit(o.MessageRate), o.MessageBurst),
		strikes:    rate.NewLimiter(1, o.RateStrikes),
	}
}

// enqueue queues msg without ever blocking. A client whose queue is full is
// too slow to keep up and is dropped, so that it cannot hold back the hub.
func (c *client) enqueue(msg []byte) bool {
	if msg == nil || c.leaving.Load() || c.stopped() {
		return false
	}
	select {
	case c.send <- frame{msg: msg}:
		return true
	default:
	}
	c.stop(models.ClosePolicyViolation, "send queue full")
	c.dropSlow()
	return false
}

// dropSlow counts a client dropped for not keeping up, once: its queue
// overflowed, or a write to it outlasted WriteWait.
func (c *client) dropSlow() {
	if c.slow.CompareAndSwap(false, true) {
		c.hub.stats.slowDropped.Add(1)
		c.hub.opts.Logger.Info("dropped a slow client", "user", c.user.ID)
	}
}

// goodbye queues msg (if any) and a close frame, so that the writer
// flushes what was queued before closing. If the queue has no room the
// client is stopped at once with the same close code.
func (c *client) goodbye(msg []byte, code int, text string) {
	if !c.leaving.CompareAndSwap(false, true) {
		return
	}
	if (msg != nil && !c.put(frame{msg: msg})) || !c.put(frame{closeCode: code, closeText: text}) {
		c.stop(code, text)
	}
}

func (c *client) put(f frame) bool {
	select {
	case c.send <- f:
		return true
	default:
		return false
	}
}

// stop ends the connection now, skipping what is queued. It reports
// whether this call was the one that stopped it.
func (c *client) stop(code int, text string) bool {
	first := false
	c.stopOnce.Do(func() {
		c.closeCode, c.closeText, first = code, text, true
		close(c.done)
	})
	return first
}

func (c *client) stopped() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}
