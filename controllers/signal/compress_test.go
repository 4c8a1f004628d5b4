package signal_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"callapp/controllers/signal"
	"callapp/models"
)

// countingConn counts the bytes read from the wire.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// wirePeer dials as a browser would (with permessage-deflate offered, or
// not) and counts what arrives on the wire.
func wirePeer(h *harness, id uint64, name string, compress bool) (*peer, *atomic.Int64) {
	h.t.Helper()
	n := new(atomic.Int64)
	d := &websocket.Dialer{
		EnableCompression: compress,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := new(net.Dialer).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: c, n: n}, nil
		},
	}
	return h.peerOn(h.dialRawWith(d, id, name), id, nil), n
}

func TestBulkEnvelopesAreCompressedForPeersThatAsk(t *testing.T) {
	t.Parallel()
	opts := fast()
	// Ticks only when the test flushes: on a loaded machine the arrivals
	// below would otherwise spread over ticks too small to compress.
	opts.PresenceTick = time.Hour
	// 150 connections pinged every 50ms starve on a loaded machine and
	// miss their pong wait; this test is about what they are sent.
	opts.PingInterval, opts.PongWait = time.Second, 30*time.Second
	// Nor does it test write deadlines: compressing for 250 connections
	// under -race on a busy machine took one write past a second.
	opts.WriteWait = 10 * time.Second
	h := start(t, opts)
	const others = 150
	for id := uint64(1); id <= others; id++ {
		h.join(id, fmt.Sprintf("someone-with-a-long-name-%03d", id))
	}
	signal.FlushPresence(h.hub) // everyone is in the known state

	// The online list is 10 KB: the peer that offered permessage-deflate
	// gets it compressed, the other as is; both read the same list.
	zipped, zippedBytes := wirePeer(h, 1001, "zipped", true)
	plain, plainBytes := wirePeer(h, 1002, "plain", false)
	lists := make([][]models.OnlineUser, 2)
	for i, p := range []*peer{zipped, plain} {
		signal.FlushPresence(h.hub)
		p.send(models.MethodConnect, 0, nil)
		p.expect(models.CodeWelcome)
		lists[i] = decode[[]models.OnlineUser](t, p.expect(models.CodeOnlineUsers))
		p.expect(models.CodeLiveList)
		p.expect(models.CodeChatHistory)
		p.view = make(map[uint64]models.OnlineUser)
		for _, u := range lists[i] {
			p.view[u.ID] = u
		}
	}
	// plain's list has zipped as well.
	if len(lists[0]) != others || fmt.Sprint(lists[0]) != fmt.Sprint(lists[1][:others]) {
		t.Fatalf("online lists differ: %d and %d users", len(lists[0]), len(lists[1]))
	}
	z, p := zippedBytes.Load(), plainBytes.Load()
	if z*3 > p {
		t.Errorf("connect took %d bytes on the wire compressed, %d plain: want under a third", z, p)
	}

	// A presence batch to everyone (10018, 100 arrivals, 6 KB) is
	// compressed too, once for all.
	signal.FlushPresence(h.hub)
	zipped.waitView("both newcomers", func(v map[uint64]models.OnlineUser) bool { return len(v) == others+1 })
	plain.waitView("both newcomers", func(v map[uint64]models.OnlineUser) bool { return len(v) == others+1 })
	z0, p0 := zippedBytes.Load(), plainBytes.Load()
	for id := uint64(2001); id <= 2100; id++ {
		h.dial(id, fmt.Sprintf("another-one-with-a-long-name-%03d", id)).send(models.MethodConnect, 0, nil)
	}
	eventually(t, "100 arrivals registered", func() bool { return len(h.hub.Online()) == others+2+100 })
	signal.FlushPresence(h.hub)
	for _, p := range []*peer{zipped, plain} {
		p.waitView("100 arrivals", func(v map[uint64]models.OnlineUser) bool { return len(v) == others+1+100 })
	}
	if z, p := zippedBytes.Load()-z0, plainBytes.Load()-p0; z*3 > p {
		t.Errorf("the arrivals took %d bytes compressed, %d plain: want under a third", z, p)
	}

	// Small envelopes go as they are, and come through either way.
	zipped.chat(strings.Repeat("hi ", 10))
	for _, p := range []*peer{zipped, plain} {
		if got := decode[models.ChatMessageView](t, p.expect(models.CodeChat)); got.FromID != 1001 {
			t.Errorf("user %d: chat from %d", p.id, got.FromID)
		}
	}
}

func TestCompressedMessageIsHeldToTheLimitOnceInflated(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.MaxMessageBytes = 4 << 10
	h := start(t, opts)
	p, _ := wirePeer(h, 1, "alice", true)
	p.send(models.MethodConnect, 0, nil)
	p.expect(models.CodeWelcome)
	p.expect(models.CodeOnlineUsers)
	p.expect(models.CodeLiveList)
	p.expect(models.CodeChatHistory)

	// 2 KB inflated, far less on the wire: within the limit.
	p.chat(strings.Repeat("a", models.ChatMaxRunes))
	if got := decode[models.ChatMessageView](t, p.expect(models.CodeChat)); len(got.Message) != models.ChatMaxRunes {
		t.Errorf("chat of %d bytes", len(got.Message))
	}
	// 100 KB inflated from about 200 bytes on the wire: too big.
	p.chat(strings.Repeat("a", 100<<10))
	expectClose(t, p, models.CloseTooBig, "message too big")
}
