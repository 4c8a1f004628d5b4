package signal

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"callapp/models"
)

// client is one websocket connection of one user.
//
// Memory matters here: an idle server holds tens of thousands of these.
// An idle connection has one goroutine, its reader, blocked on the socket.
// The writer is started when there is something to write (a message, a
// ping, a close) and ends when the queue is empty; the queue is a slice
// that is dropped when drained rather than a channel whose buffer would
// be allocated, full size, for the connection's whole life.
type client struct {
	hub  *Hub
	conn *websocket.Conn
	user models.UserView // from the session; the only identity a message has
	// The session the socket was opened with, which ending ends the socket.
	// Never changed after newClient, so any goroutine may read them.
	session uint64 // its row id; 0: none
	expires int64  // its expiry (UnixNano); 0: never

	mu        sync.Mutex
	queue     []outgoing  // messages for the writer, at most opts.SendQueue
	ready     bool        // conn is set: a writer may start
	writing   bool        // a writer runs; once the socket is closed it stays set
	closing   bool        // a goodbye is queued: close after the queue
	pingDue   bool        // the ping timer fired
	closeCode int         // the close frame to send, once closing or halted
	closeText string      //
	ping      *time.Timer // sets pingDue every PingInterval

	writeSince atomic.Int64  // when the write in progress began (UnixNano); 0: none
	halted     atomic.Bool   // stop: close at once, skipping the queue
	leaving    atomic.Bool   // a goodbye is queued: nothing may follow it
	slow       atomic.Bool   // dropped for not keeping up; counted once
	readerDone chan struct{} // closed when the reader ends
	closed     chan struct{} // closed by the writer once the socket is closed

	// Owned by the reader goroutine (readFailed: the writer reads it after
	// readerDone is closed).
	connected  bool          // User/Connect went through
	readFailed bool          // reading ended on an error, not a close frame
	pending    bool          // holds a place for addr in hub.pending
	addr       string        // the client's address, as the HTTP side saw it
	limit      *rate.Limiter // messages per connection
	strikes    *rate.Limiter // rate-limited messages tolerated before a close
}

func newClient(h *Hub, u models.UserView, s models.SessionRef) *client {
	o := &h.opts
	var expires int64
	if !s.ExpiresAt.IsZero() {
		expires = s.ExpiresAt.UnixNano()
	}
	return &client{
		hub: h, user: u, session: s.ID, expires: expires,
		readerDone: make(chan struct{}),
		closed:     make(chan struct{}),
		limit:      rate.NewLimiter(rate.Limit(o.MessageRate), o.MessageBurst),
		strikes:    rate.NewLimiter(1, o.RateStrikes),
	}
}

// unpend gives back the connection's place among those of its address
// waiting for User/Connect: on User/Connect, or when the connection ends
// without it. Only the reader calls it (Serve, before there is one).
func (c *client) unpend() {
	if c.pending {
		c.pending = false
		c.hub.pending.release(c.addr)
	}
}

// rateLimited charges one frame, a message or a ping, to the connection's
// message rate. Over the limit the frame is refused (limited) and costs a
// strike; once the strikes are spent too the client is abusive.
func (c *client) rateLimited() (limited, abusive bool) {
	if c.limit.Allow() {
		return false, false
	}
	return true, !c.strikes.Allow()
}

// start hands the upgraded socket to the client: from now on a writer may
// run, and what was queued meanwhile (a Kick's goodbye) goes out.
func (c *client) start(conn *websocket.Conn) {
	conn.EnableWriteCompression(false) // writeOut compresses bulk envelopes only
	c.mu.Lock()
	c.conn, c.ready = conn, true
	c.ping = time.AfterFunc(c.hub.opts.PingInterval, c.pingTick)
	run := (len(c.queue) > 0 || c.closing || c.halted.Load()) && c.claimWriter()
	c.mu.Unlock()
	if run {
		go c.writeLoop()
	}
}

// enqueue queues msg without ever blocking. A client whose queue is full is
// too slow to keep up and is dropped, so that it cannot hold back the hub.
func (c *client) enqueue(msg []byte) bool {
	return c.enqueueOut(outgoing{data: msg})
}

// enqueueOut is enqueue for a message that may be shared (newOutgoing).
func (c *client) enqueueOut(msg outgoing) bool {
	if msg.data == nil || c.leaving.Load() || c.halted.Load() {
		return false
	}
	c.mu.Lock()
	if len(c.queue) >= c.hub.opts.SendQueue {
		c.mu.Unlock()
		c.stop(models.ClosePolicyViolation, "send queue full")
		c.dropSlow()
		return false
	}
	c.queue = append(c.queue, msg)
	run := c.claimWriter()
	c.mu.Unlock()
	if run {
		go c.writeLoop()
	}
	return true
}

// claimWriter makes the caller responsible for starting the writer, if
// none runs and the socket is ready. c.mu is held.
func (c *client) claimWriter() bool {
	if c.writing || !c.ready {
		return false
	}
	c.writing = true
	return true
}

// dropSlow counts a client dropped for not keeping up, once: its queue
// overflowed, or a write to it outlasted WriteWait (dropStalled).
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
	c.mu.Lock()
	if msg != nil && len(c.queue) >= c.hub.opts.SendQueue {
		c.mu.Unlock()
		c.stop(code, text)
		return
	}
	if msg != nil {
		c.queue = append(c.queue, outgoing{data: msg})
	}
	if !c.halted.Load() {
		c.closing, c.closeCode, c.closeText = true, code, text
	}
	run := c.claimWriter()
	c.mu.Unlock()
	if run {
		go c.writeLoop()
	}
}

// stop ends the connection now, skipping what is queued; a goodbye
// already queued keeps its close code. It reports whether this call was
// the one that stopped it.
func (c *client) stop(code int, text string) bool {
	c.mu.Lock()
	if c.halted.Load() {
		c.mu.Unlock()
		return false
	}
	c.halted.Store(true)
	if !c.closing {
		c.closeCode, c.closeText = code, text
	}
	run := c.claimWriter()
	c.mu.Unlock()
	if run {
		go c.writeLoop()
	}
	return true
}

// pingTick runs on the ping timer: the writer sends a ping.
func (c *client) pingTick() {
	c.mu.Lock()
	c.pingDue = true
	run := c.claimWriter()
	c.mu.Unlock()
	if run {
		go c.writeLoop()
	}
}
