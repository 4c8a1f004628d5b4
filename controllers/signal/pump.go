package signal

import (
	"errors"
	"io"
	"net"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"callapp/models"
)

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
