package signal

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"callapp/models"
)

// The hot paths without sockets: decoding what a client sent, routing a
// relay through the loop, encoding envelopes, and queueing a broadcast.
// End-to-end numbers over real websockets are in bench_test.go; the load
// tool (cmd/loadtest) measures a running server.

// candidate is an ICE candidate's envelope as a browser sends it, padded
// to the ~600 bytes the load tool's pairs workload uses.
var candidate = []byte(`{"method":"Message/Candidate","type":1,"toId":2,"data":{"candidate":"candidate:842163049 1 udp 1677729535 203.0.113.7 49152 typ srflx raddr 192.168.1.20 rport 49152 generation 0 ufrag EsVb network-cost 999","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"EsVb","pad":"` + strings.Repeat("x", 380) + `"}}`)

// nullStore is a Store that stores nothing.
type nullStore struct{}

func (nullStore) CreateCall(context.Context, *models.Call) error                 { return nil }
func (nullStore) MarkCallAnswered(context.Context, string, time.Time) error      { return nil }
func (nullStore) MarkCallEnded(context.Context, string, time.Time, string) error { return nil }
func (nullStore) MarkCallResumed(context.Context, string) error                  { return nil }
func (nullStore) MarkCallsAlive(context.Context, []string, time.Time) error      { return nil }
func (nullStore) SaveChatMessage(context.Context, *models.ChatMessage) error     { return nil }
func (nullStore) ChatHistory(context.Context, uint64, int) ([]models.ChatMessage, error) {
	return nil, nil
}

func (nullStore) SetCallQuality(context.Context, string, models.CallQuality) error {
	return nil
}

// countingRouter stands in for the registry: it counts deliveries.
type countingRouter struct{ sent, broadcast int }

func (r *countingRouter) SendToUser(uint64, []byte) bool { r.sent++; return true }
func (r *countingRouter) Broadcast([]byte, ...uint64)    { r.broadcast++ }
func (r *countingRouter) SendSplice(uint64, []byte, []byte) bool {
	r.sent++
	return true
}

func benchHub(b *testing.B) *Hub {
	o := testOptions()
	o.MessageRate, o.MessageBurst = 1e9, 1e9
	return newTestHub(b, o, nullStore{})
}

// benchClient is a connected client with no socket. It is marked as
// writing, so that queued messages stay queued for the benchmark to drop.
func benchClient(h *Hub, id uint64) *client {
	c := newClient(h, models.UserView{ID: id, Username: fmt.Sprint("user", id), Role: models.RoleUser}, models.SessionRef{})
	c.connected, c.state = true, connWriting
	return c
}

// BenchmarkDecodeInbound compares the decoder the hub uses with
// encoding/json, which it replaced.
func BenchmarkDecodeInbound(b *testing.B) {
	decoders := []struct {
		name   string
		decode func([]byte, *models.Inbound) error
	}{
		{"v2", decodeInbound},
		{"encoding-json", func(raw []byte, in *models.Inbound) error { return json.Unmarshal(raw, in) }},
	}
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(candidate)))
			for b.Loop() {
				var in models.Inbound
				if err := d.decode(candidate, &in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncodeRelay(b *testing.B) {
	var in models.Inbound
	if err := decodeInbound(candidate, &in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		encodeRelay(models.CodeCandidate, in.Method, 1, in.Data)
	}
}

func BenchmarkEncodeChat(b *testing.B) {
	m := models.ChatMessage{ID: 42, FromID: 1, Username: "alice", Message: "hello everyone, the meeting starts in five minutes", CreatedAt: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		encodeText(models.CodeChat, models.MethodSendToAll, m.View())
	}
}

// BenchmarkRouteRelay is one candidate from reader to target: decoded and
// checked on the reader (this goroutine), handed to the loop, checked
// against the call, encoded and given to the Router.
func BenchmarkRouteRelay(b *testing.B) {
	h := benchHub(b)
	r := &countingRouter{}
	a, peer := benchClient(h, 1), benchClient(h, 2)
	h.do(func() {
		h.router = r
		h.clients[1], h.clients[2] = a, peer
		cl := h.ring(models.UserBrief{ID: 1, Username: "user1"}, 2)
		cl.accepted = true
		h.stats.ringing.Add(-1)
		cl.timer.Stop()
	})
	b.ReportAllocs()
	for b.Loop() {
		h.dispatch(a, candidate, time.Now())
	}
	h.do(func() {}) // the loop has routed them all
	if r.sent != b.N {
		b.Fatalf("routed %d of %d", r.sent, b.N)
	}
}

// BenchmarkBroadcast queues one chat message for N clients: marshaled
// once, then a lock and an append per client.
func BenchmarkBroadcast(b *testing.B) {
	for _, n := range []int{100, 1000, 2000, 10000} {
		b.Run(fmt.Sprint("N=", n), func(b *testing.B) {
			h := benchHub(b)
			reg := make(registry, n)
			for id := uint64(1); id <= uint64(n); id++ {
				reg[id] = benchClient(h, id)
			}
			m := models.ChatMessage{ID: 42, FromID: 1, Username: "alice", Message: "hello everyone", CreatedAt: time.Now()}
			b.ReportAllocs()
			for b.Loop() {
				reg.Broadcast(encodeText(models.CodeChat, models.MethodSendToAll, m.View()))
				for _, c := range reg {
					c.queue = c.queue[:0]
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
		})
	}
}

// BenchmarkPresenceFlush is one tick in which k users arrived while N
// others were online: one batch marshaled, k personal copies.
func BenchmarkPresenceFlush(b *testing.B) {
	for _, tc := range []struct{ n, k int }{{1000, 1}, {1000, 50}, {10000, 500}} {
		b.Run(fmt.Sprintf("N=%d/k=%d", tc.n, tc.k), func(b *testing.B) {
			h := benchHub(b)
			h.router = &countingRouter{}
			for id := uint64(1); id <= uint64(tc.n); id++ {
				h.clients[id] = benchClient(h, id)
			}
			b.ReportAllocs()
			for b.Loop() {
				for id := uint64(1); id <= uint64(tc.k); id++ {
					h.presence.pending[id] = shown{} // as if they had just arrived
				}
				h.flushPresence()
			}
		})
	}
}

// BenchmarkOnlineSnapshot is the 10000 list for a newcomer: built once
// per tick, then shared.
func BenchmarkOnlineSnapshot(b *testing.B) {
	h := benchHub(b)
	for id := uint64(1); id <= 10000; id++ {
		h.clients[id] = benchClient(h, id)
	}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.presence.snap = nil
			h.onlineSnapshot(20000)
		}
	})
	b.Run("shared", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.onlineSnapshot(20000)
		}
	})
}
