package signal

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"callapp/models"
)

// A connection's life, as its writer sees it. The writer's state proper is
// client.state (a connState, under client.mu):
//
//	connUpgrading --start--> connIdle --wake--> connWriting --take, nothing due--> connIdle
//	                                            connWriting --release--> connClosed
//
//   - connUpgrading: attached to the hub, so that Kick and Close reach it,
//     but the socket is not upgraded yet. What is queued (a Kick's
//     goodbye) waits for start. An upgrade that fails leaves the client
//     here, forgotten.
//   - connIdle: the socket is up and no writer runs; nothing is due.
//   - connWriting: one writer goroutine (writeLoop) runs, the only one that
//     writes to the socket. take hands it what is due; with nothing due it
//     turns the connection idle under the same lock wake takes, so that
//     nothing queued is left without a writer.
//   - connClosed: the writer closed the socket (release); no writer starts
//     again. The reader, which ends on the closed socket if not before,
//     then takes the client out of the hub (finish).
//
// Two ends are laid over these states, each set once and never undone:
//
//   - leaving (goodbye): a last message and a close frame are queued
//     (closing, closeCode); nothing may be queued after them. The writer
//     flushes the queue, sends the close frame and waits for the peer's
//     answer (closeHandshake).
//   - halted (stop): close now, skipping the queue, with the goodbye's
//     close code if one was queued. A read error, a full queue and a
//     failed write halt the connection; so does closeHandshake, so that
//     nothing more is queued once the close frame is on its way.
//
// Every change that gives the writer something to do (a message, the
// ping timer, either end) is made under client.mu and ends with wake,
// which starts the writer if the socket is up, none runs and something is
// due (enqueue skips the call while the writer runs). The reader is no part of this: it reads from start until the socket
// fails or the peer closes it, then halts the connection (readEnded).

// connState is where a connection's writer is: see the comment above.
type connState uint8

const (
	connUpgrading connState = iota // no socket yet: nothing is written
	connIdle                       // no writer runs; wake starts one
	connWriting                    // the writer runs
	connClosed                     // the socket is closed: no writer again
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
	// Set before the goroutines that read them start, then never changed:
	// any goroutine may read them (conn: once start has run).
	hub     *Hub
	conn    *websocket.Conn
	user    models.UserView // from the session; the only identity a message has
	session uint64          // the session's row id, whose ending ends the socket; 0: none
	expires int64           // the session's expiry (UnixNano); 0: never

	// Several nodes (replica.go): id names the connection in the log; node
	// is set on a stub, the copy of a connection of another node, to
	// which nothing is written. welcome and plain wait for the connect
	// entry (the reader sets them, the loop uses them; the entry orders it).
	id      string
	node    string
	welcome models.Welcome
	plain   []byte

	// Guarded by mu: the writer's state and what it has to do.
	mu        sync.Mutex
	state     connState
	closing   bool        // a goodbye is queued: close after the queue
	pingDue   bool        // the ping timer fired
	queue     []outgoing  // messages for the writer, at most opts.SendQueue
	closeCode int         // the close frame to send, once closing or halted
	closeText string      //
	ping      *time.Timer // sets pingDue every PingInterval

	// Atomics, read without mu on the paths every message takes.
	writeSince atomic.Int64 // when the write in progress began (UnixNano); 0: none
	halted     atomic.Bool  // stop: close at once, skipping the queue
	leaving    atomic.Bool  // a goodbye is queued: nothing may follow it
	slow       atomic.Bool  // dropped for not keeping up; counted once

	readerDone chan struct{} // closed when the reader ends
	closed     chan struct{} // closed by the writer once the socket is closed

	// Owned by the reader goroutine (readFailed: the writer reads it after
	// readerDone is closed).
	connected  bool          // User/Connect went through
	announced  bool          // several nodes: its connect entry was appended, so its leave must be
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
	conn.EnableWriteCompression(false) // writeText compresses bulk envelopes only
	c.mu.Lock()
	c.conn, c.state = conn, connIdle
	c.ping = time.AfterFunc(c.hub.opts.PingInterval, c.pingTick)
	c.wake()
}

// wake ends every change to what the writer has to do: the caller holds
// c.mu and has made the change; wake releases c.mu and starts the writer
// if the socket is up, none runs and something is due. It is the one
// place a writer starts, so that no two run at once.
func (c *client) wake() {
	run := c.state == connIdle && c.due()
	if run {
		c.state = connWriting
	}
	c.mu.Unlock()
	if run {
		go c.writeLoop()
	}
}

// due reports whether the writer has something to do. c.mu is held.
func (c *client) due() bool {
	return len(c.queue) > 0 || c.pingDue || c.closing || c.halted.Load()
}

// enqueue queues msg, which may be shared (newOutgoing), without ever
// blocking. A client whose queue is full is too slow to keep up and is
// dropped, so that it cannot hold back the hub.
func (c *client) enqueue(msg outgoing) bool {
	if c.node != "" {
		return true // its own node sends it
	}
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
	if c.state == connWriting {
		// The running writer takes it with the rest: the way most
		// messages go, kept free of the call to wake, which the
		// compiler cannot inline because it starts a goroutine.
		c.mu.Unlock()
		return true
	}
	c.wake()
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
	if c.node != "" || !c.leaving.CompareAndSwap(false, true) {
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
	c.wake()
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
	c.wake()
	return true
}

// pingTick runs on the ping timer: the writer sends a ping.
func (c *client) pingTick() {
	c.mu.Lock()
	c.pingDue = true
	c.wake()
}
