package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"callapp/controllers/cluster"
	"callapp/controllers/cluster/clustertest"
	"callapp/controllers/signal"
)

const bound = time.Second

// Entries appended at once from many goroutines of two nodes reach both
// nodes in one order, each once, numbered without a gap.
func TestConcurrentAppendsAgree(t *testing.T) {
	url, prefix := clustertest.Redis(t)
	a := start(t, url, prefix, "a", bound)
	b := start(t, url, prefix, "b", bound)
	if !a.fresh || b.fresh {
		t.Fatalf("fresh: a %v, b %v; want the first node only", a.fresh, b.fresh)
	}
	const goroutines, each = 10, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	returned := map[uint64]string{} // seq -> entry, as Append returned it
	for _, n := range []*node{a, b} {
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					e := fmt.Sprintf("%s-%d-%d", n.Name(), g, i)
					p, err := n.Append(context.Background(), []byte(e))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					returned[p.Seq] = e
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	const total = 2 * goroutines * each
	for _, n := range []*node{a, b} {
		waitFor(t, 10*time.Second, n.Name()+" applies every entry", func() bool { return len(n.entries()) >= total })
	}
	got := a.in.snapshot().applied
	if !slices.Equal(a.entries(), b.entries()) {
		t.Fatal("the nodes applied different sequences")
	}
	if len(got) != total || len(returned) != total {
		t.Fatalf("applied %d, returned %d distinct positions; want %d", len(got), len(returned), total)
	}
	for i, ap := range got {
		if ap.Pos.Seq != uint64(i+1) || ap.Pos.Life != got[0].Pos.Life {
			t.Fatalf("entry %d at %+v; want seq %d in one life", i, ap.Pos, i+1)
		}
		if returned[ap.Pos.Seq] != ap.Entry {
			t.Fatalf("seq %d applied %q, but Append returned it for %q", ap.Pos.Seq, ap.Entry, returned[ap.Pos.Seq])
		}
		if origin := map[bool]string{true: a.Node(), false: b.Node()}[strings.HasPrefix(ap.Entry, "a-")]; ap.Origin != origin {
			t.Fatalf("%q from %q; want %q", ap.Entry, ap.Origin, origin)
		}
	}
}

// A node that joins later replays the whole log, then follows it.
func TestJoinerReplaysTheLog(t *testing.T) {
	url, prefix := clustertest.Redis(t)
	a := start(t, url, prefix, "a", bound)
	a.appendN(t, "early", 20)
	b := start(t, url, prefix, "b", bound)
	b.appendN(t, "late", 5)
	want := append(names("early", 20), names("late", 5)...)
	for _, n := range []*node{a, b} {
		waitFor(t, 5*time.Second, n.Name()+" applies 25 entries", func() bool { return len(n.entries()) == len(want) })
		if got := n.entries(); !slices.Equal(got, want) {
			t.Fatalf("%s applied %q; want %q", n.Name(), got, want)
		}
	}
}

func names(tag string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%s-%d", tag, i))
	}
	return out
}

// When Redis goes away, health goes down within a beat or two and Append
// fails at once; when it is back (empty), health comes back by itself,
// each node is told the log began again, and appends number from 1.
func TestRedisRestart(t *testing.T) {
	srv := clustertest.OwnRedis(t)
	a := start(t, srv.URL(), "c:", "a", bound)
	b := start(t, srv.URL(), "c:", "b", bound)
	a.appendN(t, "before", 3)
	for _, n := range []*node{a, b} {
		waitFor(t, 2*time.Second, n.Name()+" applies 3 entries", func() bool { return len(n.entries()) == 3 })
	}
	life := a.in.snapshot().applied[0].Pos.Life

	srv.Stop()
	stopped := time.Now()
	for _, n := range []*node{a, b} {
		waitFor(t, 2*time.Second, n.Name()+" reports health down", func() bool { return !n.Health().Up })
	}
	if d := time.Since(stopped); d > bound {
		t.Errorf("health went down after %s; want within %s", d, bound)
	}
	began := time.Now()
	_, err := a.Append(context.Background(), []byte("during"))
	if !errors.Is(err, cluster.ErrUnavailable) || time.Since(began) > 50*time.Millisecond {
		t.Fatalf("Append while down: %v after %s; want ErrUnavailable at once", err, time.Since(began))
	}
	if a.Send(b.Node(), []byte("x")) {
		t.Error("Send while down: true; want false")
	}

	srv.Start()
	for _, n := range []*node{a, b} {
		waitFor(t, 5*time.Second, n.Name()+" reports health up", func() bool { return n.Health().Up })
		waitFor(t, time.Second, n.Name()+" is told of a new life", func() bool { return len(n.in.snapshot().lives) == 1 })
	}
	la, lb := a.in.snapshot().lives[0], b.in.snapshot().lives[0]
	if la != lb || la == life {
		t.Fatalf("new lives %d and %d after %d; want one new life", la, lb, life)
	}
	p, err := b.Append(context.Background(), []byte("after"))
	if err != nil || p != (signal.Pos{Life: la, Seq: 1}) {
		t.Fatalf("Append after: %+v, %v; want seq 1 of life %d", p, err, la)
	}
	waitFor(t, 2*time.Second, "a applies the new entry", func() bool { return len(a.entries()) == 4 })
	hs := a.in.snapshot().healths
	for i, h := range hs {
		if h.Up != (i%2 == 1) || (!h.Up && h.Reason == "") {
			t.Fatalf("health changes %+v; want down with a reason, then up, in turn", hs)
		}
	}
	if len(hs) == 0 || !hs[len(hs)-1].Up {
		t.Errorf("health changes %+v; want up last", hs)
	}
}

// A log whose counter went back (Redis restarted from an old snapshot)
// cannot agree with what the nodes applied: it begins again, and every
// node is told so.
func TestLogThatWentBackBeginsAgain(t *testing.T) {
	url, prefix := clustertest.Redis(t)
	a := start(t, url, prefix, "a", bound)
	b := start(t, url, prefix, "b", bound)
	a.appendN(t, "old", 5)
	for _, n := range []*node{a, b} {
		waitFor(t, 2*time.Second, n.Name()+" applies 5 entries", func() bool { return len(n.entries()) == 5 })
	}
	life := a.in.snapshot().applied[0].Pos.Life

	opt, _ := redis.ParseURL(url)
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Set(context.Background(), prefix+"seq", 2, 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, _ = a.Append(context.Background(), []byte("stale")) // seq 3 again
	for _, n := range []*node{a, b} {
		waitFor(t, 3*time.Second, n.Name()+" is told of a new life, up", func() bool {
			return len(n.in.snapshot().lives) == 1 && n.Health().Up
		})
	}
	la, lb := a.in.snapshot().lives[0], b.in.snapshot().lives[0]
	if la != lb || la == life {
		t.Fatalf("new lives %d and %d after %d; want one new life", la, lb, life)
	}
	if p, err := a.Append(context.Background(), []byte("new")); err != nil || p.Seq != 1 {
		t.Fatalf("Append in the new life: %+v, %v; want seq 1", p, err)
	}
}
