package signal_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"callapp/models"
)

func TestPingsCountTowardTheRateLimit(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.MessageRate, opts.MessageBurst, opts.RateStrikes = 0.5, 4, 3
	h := start(t, opts)
	var pongs atomic.Int32
	p := h.dialWith(1, "alice", func(c *websocket.Conn) {
		c.SetPongHandler(func(string) error { pongs.Add(1); return nil })
	})
	p.send(models.MethodConnect, 0, nil) // a message: one of the burst
	p.expect(models.CodeWelcome)
	const sent = 50
	for range sent {
		p.wmu.Lock()
		err := p.conn.WriteControl(websocket.PingMessage, []byte("x"), time.Now().Add(wait))
		p.wmu.Unlock()
		if err != nil {
			break // closed under us: fine
		}
	}
	expectClose(t, p, models.ClosePolicyViolation, "rate limit exceeded")
	// The burst less User/Connect, and what the rate refilled meanwhile.
	if n := pongs.Load(); n < 3 || n > 5 {
		t.Errorf("%d of %d pings answered, want the 3 the burst left", n, sent)
	}
}
