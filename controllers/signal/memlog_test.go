package signal_test

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"callapp/controllers/signal"
)

// memLog is a cluster's log in memory, for hub tests of several nodes
// without Redis: the ordering and delivery a Cluster promises, nothing
// more. controllers/cluster's tests hold the Redis one to the same.
type memLog struct {
	mu      sync.Mutex
	entries []memEntry // those after base
	base    uint64     // the seq of the last entry trimmed
	snap    []byte     // the state as of base
	nodes   map[string]*memNode
	down    bool
	moved   chan struct{} // closed and replaced on every append
}

type memEntry struct {
	origin string
	data   []byte
}

func newMemLog() *memLog {
	return &memLog{nodes: make(map[string]*memNode), moved: make(chan struct{})}
}

// node returns a Cluster for one node on the log.
func (l *memLog) node(id string) *memNode {
	return &memNode{log: l, id: id, quit: make(chan struct{}), frames: make(chan []byte, 4096)}
}

// setDown makes the log unreachable, or reachable again.
func (l *memLog) setDown(down bool) {
	l.mu.Lock()
	l.down = down
	nodes := make([]*memNode, 0, len(l.nodes))
	for _, n := range l.nodes {
		nodes = append(nodes, n)
	}
	l.mu.Unlock()
	for _, n := range nodes {
		n.in.HealthChanged(n.Health())
	}
}

type memNode struct {
	log    *memLog
	id     string
	in     signal.Inbound
	quit   chan struct{}
	frames chan []byte
	wg     sync.WaitGroup
	once   sync.Once
}

var errMemDown = errors.New("memlog: down")

func (n *memNode) Node() string { return n.id }
func (n *memNode) Name() string { return n.id }

func (n *memNode) Start(in signal.Inbound) (bool, error) {
	n.in = in
	l := n.log
	l.mu.Lock()
	fresh := len(l.nodes) == 0 && len(l.entries) == 0 && l.base == 0
	l.nodes[n.id] = n
	base, snap := l.base, l.snap
	l.mu.Unlock()
	if base > 0 {
		if err := in.Load(signal.Pos{Life: 1, Seq: base}, snap); err != nil {
			return false, err
		}
	}
	n.wg.Add(2)
	go n.read(base)
	go n.deliver()
	return fresh, nil
}

func (n *memNode) read(from uint64) {
	defer n.wg.Done()
	l := n.log
	next := from // the seq of the last entry applied
	for {
		l.mu.Lock()
		batch, moved := slices.Clone(l.entries[next-l.base:]), l.moved
		l.mu.Unlock()
		for i, e := range batch {
			n.in.Apply(signal.Pos{Life: 1, Seq: next + uint64(i) + 1}, e.origin, e.data)
		}
		next += uint64(len(batch))
		if len(batch) > 0 {
			continue
		}
		select {
		case <-moved:
		case <-n.quit:
			return
		}
	}
}

func (n *memNode) deliver() {
	defer n.wg.Done()
	for {
		select {
		case f := <-n.frames:
			n.in.Frame(f)
		case <-n.quit:
			return
		}
	}
}

func (n *memNode) Append(_ context.Context, data []byte) (signal.Pos, error) {
	l := n.log
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		return signal.Pos{}, errMemDown
	}
	l.entries = append(l.entries, memEntry{origin: n.id, data: slices.Clone(data)})
	close(l.moved)
	l.moved = make(chan struct{})
	return signal.Pos{Life: 1, Seq: l.base + uint64(len(l.entries))}, nil
}

func (n *memNode) Send(node string, frame []byte) bool {
	l := n.log
	l.mu.Lock()
	to, down := l.nodes[node], l.down
	l.mu.Unlock()
	if to == nil || down {
		return false
	}
	select {
	case to.frames <- slices.Clone(frame):
		return true
	default:
		return false
	}
}

func (n *memNode) Health() signal.Health {
	n.log.mu.Lock()
	defer n.log.mu.Unlock()
	if n.log.down {
		return signal.Health{Reason: "memlog down"}
	}
	return signal.Health{Up: true}
}

func (n *memNode) Nodes(context.Context) ([]signal.NodeStats, error) {
	l := n.log
	l.mu.Lock()
	defer l.mu.Unlock()
	var list []signal.NodeStats
	for _, m := range l.nodes {
		s := m.in.Stats()
		s.Reported = time.Now()
		list = append(list, s)
	}
	slices.SortFunc(list, func(a, b signal.NodeStats) int { return cmp.Compare(a.Node, b.Node) })
	return list, nil
}

func (n *memNode) Stop(context.Context) {
	n.once.Do(func() {
		n.log.mu.Lock()
		delete(n.log.nodes, n.id)
		n.log.mu.Unlock()
		close(n.quit)
		n.wg.Wait()
	})
}

// compact stores n's snapshot and trims the entries it covers, as the
// Redis cluster does once its log is long; the caller knows every node
// applied them.
func (l *memLog) compact(n *memNode) {
	at, state := n.in.Snapshot()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = l.entries[at.Seq-l.base:]
	l.base, l.snap = at.Seq, state
}
