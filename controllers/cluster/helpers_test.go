package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"callapp/controllers/cluster"
	"callapp/controllers/signal"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// applied is one Apply call.
type applied struct {
	Pos    signal.Pos
	Origin string
	Entry  string
}

// inbound records what a node's cluster feeds it.
type inbound struct {
	mu      sync.Mutex
	applied []applied
	frames  []string
	lives   []uint64
	gone    []string
	healths []signal.Health
	conns   int64
	loaded  int // entries that came from a snapshot
}

var _ signal.Inbound = (*inbound)(nil)

func (in *inbound) Apply(p signal.Pos, origin string, entry []byte) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.applied = append(in.applied, applied{p, origin, string(entry)})
}

func (in *inbound) Frame(frame []byte) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.frames = append(in.frames, string(frame))
}

func (in *inbound) NewLife(life uint64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.lives = append(in.lives, life)
}

func (in *inbound) NodeGone(node string) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.gone = append(in.gone, node)
	return nil
}

func (in *inbound) HealthChanged(h signal.Health) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.healths = append(in.healths, h)
}

func (in *inbound) Stats() signal.NodeStats {
	in.mu.Lock()
	defer in.mu.Unlock()
	st := signal.NodeStats{Conns: in.conns, MsgsIn: 7}
	if n := len(in.applied); n > 0 {
		st.Applied = in.applied[n-1].Pos.Seq
	}
	return st
}

// Snapshot implements signal.Inbound: its state is the entries applied.
func (in *inbound) Snapshot() (signal.Pos, []byte) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.applied) == 0 {
		return signal.Pos{}, nil
	}
	b, _ := json.Marshal(in.applied)
	return in.applied[len(in.applied)-1].Pos, b
}

// Load implements signal.Inbound.
func (in *inbound) Load(at signal.Pos, state []byte) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	var list []applied
	if err := json.Unmarshal(state, &list); err != nil {
		return err
	}
	if len(list) == 0 || list[len(list)-1].Pos != at {
		return fmt.Errorf("snapshot at %+v holds %d entries", at, len(list))
	}
	in.applied, in.loaded = list, len(list)
	return nil
}

// snapshot returns a copy of what in recorded.
func (in *inbound) snapshot() inbound {
	in.mu.Lock()
	defer in.mu.Unlock()
	return inbound{
		applied: slices.Clone(in.applied), frames: slices.Clone(in.frames), loaded: in.loaded,
		lives: slices.Clone(in.lives), gone: slices.Clone(in.gone), healths: slices.Clone(in.healths),
	}
}

// node is one cluster member of a test.
type node struct {
	*cluster.Redis
	in    *inbound
	fresh bool
}

// start joins a node named name to the log at url under prefix; it stops
// when the test ends.
func start(t *testing.T, url, prefix, name string, bound time.Duration, tweak ...func(*cluster.Options)) *node {
	t.Helper()
	o := cluster.Options{URL: url, Prefix: prefix, Timeout: 2 * time.Second, OfflineBound: bound, Name: name}
	for _, f := range tweak {
		f(&o)
	}
	r, err := cluster.New(o)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{Redis: r, in: &inbound{conns: int64(len(name))}}
	t.Cleanup(func() { r.Stop(context.Background()) })
	if n.fresh, err = r.Start(n.in); err != nil {
		t.Fatal(err)
	}
	return n
}

// appendN appends entries named "<tag>-<i>" for i in [0, n).
func (n *node) appendN(t *testing.T, tag string, count int) {
	t.Helper()
	for i := range count {
		if _, err := n.Append(context.Background(), fmt.Appendf(nil, "%s-%d", tag, i)); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls cond until it holds, failing t after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
	}
}

// entries returns the entries n applied, in order.
func (n *node) entries() []string {
	var out []string
	for _, a := range n.in.snapshot().applied {
		out = append(out, a.Entry)
	}
	return out
}
