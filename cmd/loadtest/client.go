package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"callapp/models"
)

// connectTimeout bounds the wait for a server answer during set-up (10002,
// call events); a server busy with a presence storm can take a while.
const connectTimeout = 60 * time.Second

// writeWait bounds one write to the server.
const writeWait = 10 * time.Second

// client is one authenticated websocket of one account. Its reader
// goroutine counts everything that arrives into the run's events and hands
// set-up answers to whoever waits for them; writes go through send, which
// serializes them (gorilla allows one writer at a time).
type client struct {
	idx  int // index in the run, also the Recorder shard hint
	acct account
	conn *websocket.Conn
	ev   *events
	skim bool // skip presence batches past their first buffer (idle)
	hook func(c *client, code int, msg []byte)

	wmu sync.Mutex // one writer at a time

	mu      sync.Mutex
	waiters []*waiter
	nwait   atomic.Int32 // len(waiters), read without the lock
	closing atomic.Bool  // we closed it: the reader's error is expected
	done    chan struct{}
}

// waiter wants the next envelope with one of its codes.
type waiter struct {
	codes []int
	ch    chan reply
}

// reply is an envelope a waiter asked for.
type reply struct {
	code int
	msg  []byte
}

// dialer opens websockets to the server, or to its nodes.
type dialer struct {
	urls []string // the websocket URL of each node
	// node picks the node of the run's user idx: by -placement, unless a
	// workload spreads its users another way.
	node func(idx int) int
	ws   websocket.Dialer
	ev   *events
	skim bool
	// hook, when set, sees every envelope its clients receive, in their
	// reader goroutines: a workload that answers events (live) acts there.
	hook func(c *client, code int, msg []byte)
}

func newDialer(c *settings, ev *events) *dialer {
	urls := make([]string, len(c.URLs))
	for i, base := range c.URLs {
		urls[i] = "ws" + strings.TrimPrefix(base, "http") + "/webrtc/wss"
	}
	placement, nodes := c.Placement, len(urls)
	// The idle workload fills a server: every connection gets a presence
	// batch per tick, and inflating them all would make the tool, not the
	// server, the bottleneck. It counts them without reading them.
	skim := c.Workload == workloadIdle
	return &dialer{urls: urls, node: func(idx int) int { return nodeFor(placement, nodes, idx) }, ev: ev, skim: skim, ws: websocket.Dialer{
		HandshakeTimeout:  30 * time.Second,
		EnableCompression: c.Compress,
		ReadBufferSize:    8 << 10,
		WriteBufferSize:   4 << 10,
		WriteBufferPool:   &sync.Pool{},                                // idle connections hold no write buffer
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: c.Insecure}, //nolint:gosec // only with -insecure
	}}
}

// open dials, sends User/Connect and waits for the welcome (10002).
func (d *dialer) open(ctx context.Context, idx int, acct account) (*client, error) {
	hdr := http.Header{}
	hdr.Set("Cookie", sessionCookie+"="+acct.Token)
	hdr.Set("User-Agent", "callapp-loadtest")
	conn, resp, err := d.ws.DialContext(ctx, d.urls[d.node(idx)], hdr)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %s", acct.Name, resp.Status)
		}
		return nil, fmt.Errorf("dial %s: %w", acct.Name, err)
	}
	c := &client{idx: idx, acct: acct, conn: conn, ev: d.ev, skim: d.skim, hook: d.hook, done: make(chan struct{})}
	go c.read()
	welcome := c.expect(models.CodeWelcome, models.CodeError, models.CodeReplaced)
	if err := c.send([]byte(`{"method":"User/Connect","type":1}`)); err != nil {
		c.close()
		return nil, err
	}
	r, err := c.await(ctx, welcome)
	if err == nil && r.code != models.CodeWelcome {
		err = fmt.Errorf("connect %s: got %d, want 10002: %s", acct.Name, r.code, r.msg)
	}
	if err != nil {
		c.close()
		return nil, err
	}
	var w struct {
		Data models.Welcome `json:"data"`
	}
	if json.Unmarshal(r.msg, &w) == nil && w.Data.User.ID != 0 {
		c.acct.ID = w.Data.User.ID // the session's word is final
	}
	if call := w.Data.Call; call != nil && c.acct.ID < call.PeerID {
		// A call of a run that ended within the resume grace waits for
		// this account: hang it up (one party does), or both stay busy.
		data, _ := json.Marshal(models.CallRef{CallID: call.CallID})
		if err := c.sendJSON(models.Inbound{Method: models.MethodHangup, ToID: call.PeerID, Data: data}); err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

// send writes one text message.
func (c *client) send(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
	if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
		return fmt.Errorf("send as %s: %w", c.acct.Name, err)
	}
	return nil
}

// sendJSON writes an envelope built from v.
func (c *client) sendJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.send(b)
}

// close says goodbye and drops the connection.
func (c *client) close() {
	if !c.closing.CompareAndSwap(false, true) {
		return
	}
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	_ = c.conn.Close()
}

// alive reports whether the reader still runs.
func (c *client) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// expect registers interest in the next envelope with one of codes. Call
// it before sending what causes the envelope.
func (c *client) expect(codes ...int) <-chan reply {
	w := &waiter{codes: codes, ch: make(chan reply, 1)}
	c.mu.Lock()
	c.waiters = append(c.waiters, w)
	c.nwait.Store(int32(len(c.waiters)))
	c.mu.Unlock()
	return w.ch
}

// await waits for an expected envelope, the connection's end, or a timeout.
func (c *client) await(ctx context.Context, ch <-chan reply) (reply, error) {
	t := time.NewTimer(connectTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r, nil
	case <-c.done:
		return reply{}, fmt.Errorf("%s: connection closed while waiting", c.acct.Name)
	case <-t.C:
		return reply{}, fmt.Errorf("%s: no answer within %v", c.acct.Name, connectTimeout)
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
}

// answer hands an envelope to the hook and to a waiter for its code.
func (c *client) answer(code int, msg []byte) {
	if c.hook != nil {
		c.hook(c, code, msg)
	}
	if c.nwait.Load() > 0 {
		c.deliver(code, msg)
	}
}

func (c *client) deliver(code int, msg []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range c.waiters {
		for _, want := range w.codes {
			if want == code {
				w.ch <- reply{code: code, msg: append([]byte(nil), msg...)}
				c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
				c.nwait.Store(int32(len(c.waiters)))
				return
			}
		}
	}
}

// read is the connection's reader: it reuses one buffer, so the hot path
// (relays and chat) allocates nothing.
func (c *client) read() {
	defer close(c.done)
	buf := make([]byte, 0, 4<<10)
	for {
		_, r, err := c.conn.NextReader()
		if err == nil {
			buf, err = c.readMessage(buf[:0], r)
		}
		if err != nil {
			if !c.closing.Load() {
				c.ev.lost(err)
			}
			return
		}
		c.ev.handle(c, buf, clock())
		if c.hook != nil || c.nwait.Load() > 0 {
			c.answer(envelopeCode(buf), buf)
		}
		if cap(buf) > 64<<10 {
			buf = make([]byte, 0, 4<<10) // a big presence list came: do not keep its buffer
		}
	}
}

// readMessage reads one message into b. The online list (10000) and the
// chat history (10004) are only counted, and the online list grows with
// every user online (tens of bytes each), so past the first buffer they
// are left unread: gorilla skips the rest of the frame without
// inflating it. So are presence batches (10018) when skimming.
func (c *client) readMessage(b []byte, r io.Reader) ([]byte, error) {
	b, done, err := readFirst(b, r)
	if done || err != nil {
		return b, err
	}
	switch envelopeCode(b) {
	case models.CodeOnlineUsers, models.CodeChatHistory:
		return b, nil
	case models.CodePresence:
		if c.skim {
			return b, nil
		}
	}
	return readAll(b, r)
}

// readFirst fills b up to its capacity; done says the message ended.
func readFirst(b []byte, r io.Reader) (_ []byte, done bool, err error) {
	for len(b) < cap(b) {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, true, nil
		}
		if err != nil {
			return b, false, err
		}
	}
	return b, false, nil
}

// readAll appends everything r has to b.
func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
