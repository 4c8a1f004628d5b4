package signal

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

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

// writePump is the connection's only writer.
func (c *client) writePump() {
	defer close(c.writerDone)
	ping := time.NewTicker(c.hub.opts.PingInterval)
	defer ping.Stop()
	for {
		var err error
		select {
		case f := <-c.send:
			if f.closeCode != 0 {
				c.closeHandshake(f.closeCode, f.closeText)
				return
			}
			err = c.write(websocket.TextMessage, f.msg)
		case <-ping.C:
			err = c.write(websocket.PingMessage, nil)
		case <-c.done:
			c.closeHandshake(c.closeCode, c.closeText)
			return
		}
		if err != nil {
			if isTimeout(err) {
				c.dropSlow()
			}
			c.stop(models.CloseGoingAway, "")
			_ = c.conn.Close() // the socket is broken: no close frame to wait for
			return
		}
	}
}

func (c *client) write(kind int, msg []byte) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.hub.opts.WriteWait))
	err := c.conn.WriteMessage(kind, msg)
	if err == nil && kind == websocket.TextMessage {
		c.hub.stats.out.Add(1)
	}
	return err
}

// closeHandshake sends a close frame, gives the peer a moment to answer,
// then drops the socket.
func (c *client) closeHandshake(code int, text string) {
	c.stop(code, text)
	err := c.write(websocket.CloseMessage, websocket.FormatCloseMessage(code, clip(text, 123)))
	if err == nil {
		c.awaitPeerClose(time.Now().Add(c.hub.opts.closeGrace()))
	}
	_ = c.conn.Close()
}

// awaitPeerClose waits until deadline for the reader to see the peer's
// answering close frame. If the reader had already ended on an error
// (timeout, oversize message), it lingers instead: it half-closes and
// drains the socket until the peer hangs up, because closing a socket with
// unread data resets it, and the peer would lose the close frame.
func (c *client) awaitPeerClose(deadline time.Time) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-c.readerDone:
	case <-t.C:
		return
	}
	if !c.readFailed {
		return
	}
	nc := c.conn.NetConn()
	if hc, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = hc.CloseWrite()
	}
	_ = nc.SetReadDeadline(deadline)
	_, _ = io.Copy(io.Discard, nc)
}

// clip cuts s to at most n bytes on a rune boundary: a close reason must
// fit in a control frame.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// readPump reads until the connection ends, then takes the client out of
// the hub.
func (c *client) readPump() {
	defer close(c.readerDone)
	defer c.hub.submit(op{do: func() { c.hub.detach(c) }})
	o := &c.hub.opts
	c.conn.SetReadLimit(o.MaxMessageBytes)
	_ = c.conn.SetReadDeadline(time.Now().Add(o.ConnectTimeout))
	c.conn.SetPongHandler(c.onPong)
	// The writer answers a close frame, so that only it writes.
	c.conn.SetCloseHandler(func(int, string) error { return nil })
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			c.readFailed = !errors.As(err, &ce)
			c.stop(c.closeFor(err))
			return
		}
		c.hub.stats.in.Add(1)
		if c.leaving.Load() || c.stopped() {
			continue // closing: only the peer's close frame matters now
		}
		if !c.hub.dispatch(c, msg) {
			// Queued, so that the answers already given go out first. The
			// reader reads on, unheard, until the peer answers the close:
			// dropping the socket with its data unread would reset it.
			c.goodbye(nil, models.ClosePolicyViolation, "rate limit exceeded")
		}
	}
}

// onPong renews the read deadline; before User/Connect the connect
// timeout stays in force.
func (c *client) onPong(string) error {
	if !c.connected {
		return nil
	}
	return c.conn.SetReadDeadline(time.Now().Add(c.hub.opts.PongWait))
}

// closeFor picks the close frame for a read error.
func (c *client) closeFor(err error) (int, string) {
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		return models.CloseTooBig, "message too big"
	case !c.connected && isTimeout(err):
		return models.ClosePolicyViolation, "connect timeout"
	case isTimeout(err):
		return models.CloseGoingAway, "pong timeout" // most likely never arrives
	}
	return models.CloseNormal, ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
