package signal

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"callapp/models"
)

// writeLoop is the connection's writer, started by wake: it writes what
// take hands it until nothing is due, then ends; it closes the socket when
// the connection ends.
func (c *client) writeLoop() {
	for {
		batch, ping, end := c.take()
		switch {
		case end:
			c.closeHandshake()
			return
		case batch == nil && !ping:
			return // take made the connection idle
		}
		if err := c.writeBatch(batch, ping); err != nil {
			c.writeFailed()
			return
		}
	}
}

// take hands the writer what is due, or tells it to end the connection.
// With nothing due it makes the connection idle, under the same lock wake
// starts a writer with, so that no message is left behind without one.
func (c *client) take() (batch []outgoing, ping, end bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.halted.Load() || (c.closing && len(c.queue) == 0) {
		return nil, false, true
	}
	if !c.due() {
		c.state = connIdle
		return nil, false, false
	}
	batch, c.queue = c.queue, nil // an idle connection keeps no queue
	ping, c.pingDue = c.pingDue, false
	return batch, ping, false
}

// writeBatch writes the messages take handed over, each timed for
// dropStalled and counted, then the ping if one is due.
func (c *client) writeBatch(batch []outgoing, ping bool) error {
	for _, msg := range batch {
		if c.halted.Load() {
			return nil // take ends the connection
		}
		c.writeSince.Store(time.Now().UnixNano())
		err := c.writeText(msg)
		c.writeSince.Store(0)
		if err != nil {
			return err
		}
		c.hub.stats.out.addBytes(envelopeMethod(msg.data))
	}
	if !ping {
		return nil
	}
	c.ping.Reset(c.hub.opts.PingInterval)
	return c.write(websocket.PingMessage, nil)
}

// writeFailed ends a connection whose socket broke or stalled.
func (c *client) writeFailed() {
	c.stop(models.CloseGoingAway, "")
	c.hub.stats.closes.add(closeBroken)
	c.release() // the socket is broken: no close frame to wait for
}

// release closes the socket: the connection's last act.
func (c *client) release() {
	c.mu.Lock()
	c.state = connClosed
	c.mu.Unlock()
	c.ping.Stop()
	_ = c.conn.Close()
	close(c.closed)
}

// write writes one control frame (ping, close). Like every write it sets
// no write deadline: gorilla passes the deadline to the socket on every
// frame, and moving the socket's timer each time cost 14% of the server's
// CPU while thousands of connections opened. The loop's dropStalled
// bounds writes instead, from writeSince.
func (c *client) write(kind int, msg []byte) error {
	c.writeSince.Store(time.Now().UnixNano())
	err := c.conn.WriteMessage(kind, msg)
	c.writeSince.Store(0)
	return err
}

// writeText writes msg as one text message: its two parts one after the
// other (Router.SendSplice), a bulk envelope from its prepared frame
// (compressed if the peer negotiated permessage-deflate), or as it is.
func (c *client) writeText(msg outgoing) error {
	if msg.tail != nil {
		w, err := c.conn.NextWriter(websocket.TextMessage)
		if err != nil {
			return err
		}
		_, _ = w.Write(msg.data) // an error comes back from Close too
		_, _ = w.Write(msg.tail)
		return w.Close()
	}
	if msg.bulk != nil {
		if pm := msg.bulk.prepared(msg.data); pm != nil {
			c.conn.EnableWriteCompression(true)
			defer c.conn.EnableWriteCompression(false)
			return c.conn.WritePreparedMessage(pm)
		}
	}
	return c.conn.WriteMessage(websocket.TextMessage, msg.data)
}

// closeHandshake sends the close frame, gives the peer a moment to
// answer, then drops the socket.
func (c *client) closeHandshake() {
	c.mu.Lock()
	c.halted.Store(true) // nothing more is queued from now on
	code, text := c.closeCode, c.closeText
	c.mu.Unlock()
	c.hub.stats.closes.add(closeLabel(code))
	err := c.write(websocket.CloseMessage, websocket.FormatCloseMessage(code, clip(text, 123)))
	if err == nil {
		c.awaitPeerClose(time.Now().Add(c.hub.opts.closeGrace()))
	}
	c.release()
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

// run is the connection's goroutine once the upgrade is done: it reads
// until the connection ends, then waits for the writer to close the
// socket. The HTTP handler has returned by then, so that net/http's
// buffers and the handler's stack are not kept for the connection's life.
//
// An idle connection is this goroutine parked in NextReader, and the
// garbage collector halves a goroutine's stack only while it uses under a
// quarter of it: every byte of the frames between here and the socket
// decides whether an idle connection keeps 4 KiB of stack or 8. So the
// loop is here, with no defers and few locals, rather than in a helper.
func (c *client) run() {
	c.startReading()
	var err error
	for err == nil {
		var r io.Reader
		if _, r, err = c.conn.NextReader(); err == nil {
			err = c.readOne(r)
		}
	}
	c.finish(err)
}

// finish ends the connection after reading ended on err.
func (c *client) finish(err error) {
	c.unpend()
	c.readEnded(err)
	<-c.closed
	c.hub.submit(op{do: func() { c.hub.detach(c) }})
	c.hub.forgetLocal(c)
	c.hub.stats.open.Add(-1)
	c.hub.serving.Done()
}

// startReading sets the reader's limits and handlers.
func (c *client) startReading() {
	o := &c.hub.opts
	c.conn.SetReadLimit(o.MaxMessageBytes)
	_ = c.conn.SetReadDeadline(time.Now().Add(o.ConnectTimeout))
	c.conn.SetPongHandler(c.onPong)
	c.conn.SetPingHandler(c.onPing)
	// The writer answers a close frame, so that only it writes.
	c.conn.SetCloseHandler(func(int, string) error { return nil })
}

// readEnded closes the connection after a read error (a close frame
// counts) and takes the client out of the hub.
func (c *client) readEnded(err error) {
	var ce *websocket.CloseError
	c.readFailed = !errors.As(err, &ce)
	c.stop(c.closeFor(err))
	if c.hub.clustered() {
		if c.announced {
			// Kicked (an expired session): final, as one node's kick is.
			c.mu.Lock()
			kicked := c.closeCode == models.CloseKicked
			c.mu.Unlock()
			c.hub.rep.leave(c, !kicked)
		}
	} else {
		c.hub.submit(op{do: func() { c.hub.leave(c) }})
	}
	close(c.readerDone)
}

// readBuffers holds the buffers messages are read into: a message is
// decoded before the next is read, and idle connections hold none.
var readBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readOne reads the message r and handles it.
func (c *client) readOne(r io.Reader) error {
	buf := readBuffers.Get().(*bytes.Buffer)
	defer readBuffers.Put(buf)
	buf.Reset()
	// The read limit counts the bytes on the wire; a compressed message
	// is held to it once inflated too.
	limit := c.hub.opts.MaxMessageBytes
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		return websocket.ErrReadLimit
	}
	c.handle(buf.Bytes(), time.Now())
	return nil
}

// handle dispatches one message read at readAt.
func (c *client) handle(msg []byte, readAt time.Time) {
	if c.leaving.Load() || c.halted.Load() {
		c.hub.stats.in.add(otherLabel)
		return // closing: only the peer's close frame matters now
	}
	if c.sessionOver(readAt) {
		// The sweep would close it within SessionCheck; until then it
		// must not act on an ended session.
		c.hub.stats.in.add(otherLabel)
		c.hub.submit(op{do: func() { c.hub.expire(c) }})
		return
	}
	if !c.hub.dispatch(c, msg, readAt) {
		c.closeAbusive()
	}
}

// closeAbusive says goodbye to a client that kept on past the rate limit with
// its strikes spent. Queued, so that the answers already given go out
// first. The reader reads on, unheard, until the peer answers the close:
// dropping the socket with its data unread would reset it.
func (c *client) closeAbusive() {
	c.goodbye(nil, models.ClosePolicyViolation, "rate limit exceeded")
}

// onPing answers a ping as gorilla's own handler would, if the message
// rate allows: a ping costs what a message costs, so a flood of pings goes
// unanswered, spends the strikes and is closed like a flood of messages.
func (c *client) onPing(data string) error {
	if c.leaving.Load() || c.halted.Load() {
		return nil
	}
	limited, abusive := c.rateLimited()
	if abusive {
		c.closeAbusive()
	}
	if limited {
		return nil
	}
	err := c.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(c.hub.opts.WriteWait))
	var ne net.Error
	if errors.Is(err, websocket.ErrCloseSent) || errors.As(err, &ne) {
		return nil // like gorilla's: a broken socket is the writer's to find
	}
	return err
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

// dropStalled drops the clients whose write has lasted over WriteWait: it
// closes the socket under the writer, whose write then fails. Run by the
// loop every WriteWait/4, so a stalled write ends within 1.25 WriteWait.
func (h *Hub) dropStalled(now time.Time) {
	limit := now.Add(-h.opts.WriteWait).UnixNano()
	for c := range h.conns {
		if since := c.writeSince.Load(); since != 0 && since < limit {
			c.dropSlow()
			_ = c.conn.NetConn().Close() // set before any write began
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
