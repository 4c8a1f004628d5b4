package cluster_test

import (
	"context"
	neturl "net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"callapp/controllers/cluster"
	"callapp/controllers/cluster/clustertest"
	"callapp/controllers/signal"
	"callapp/dao/daotest"
)

// A frame sent to a node reaches its Inbound, in order.
func TestSendReachesTheNode(t *testing.T) {
	url, prefix := clustertest.Redis(t)
	a := start(t, url, prefix, "a", bound)
	b := start(t, url, prefix, "b", bound)
	want := names("frame", 100)
	for _, f := range want {
		if !a.Send(b.Node(), []byte(f)) {
			t.Fatalf("Send %s: dropped", f)
		}
	}
	waitFor(t, 2*time.Second, "b receives 100 frames", func() bool { return len(b.in.snapshot().frames) == len(want) })
	if got := b.in.snapshot().frames; !slices.Equal(got, want) {
		t.Fatalf("b received %q; want %q", got, want)
	}
	if got := a.in.snapshot().frames; len(got) != 0 {
		t.Fatalf("a received %q; want nothing", got)
	}
}

// A node cut off from Redis is not up again, once Redis answers, until
// it subscribed again: a frame sent to it once it is up arrives.
func TestHealthWaitsForTheSubscription(t *testing.T) {
	url, prefix := clustertest.Redis(t)
	through, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	proxy := daotest.NewProxy(t, through.Host)
	through.Host = proxy.Addr()
	a := start(t, through.String(), prefix, "a", bound)
	b := start(t, through.String(), prefix, "b", bound)
	proxy.Set(daotest.Down)
	for _, n := range []*node{a, b} {
		waitFor(t, 2*time.Second, n.Name()+" reports health down", func() bool { return !n.Health().Up })
	}
	proxy.Set(daotest.Forward)
	for _, n := range []*node{a, b} {
		waitFor(t, 5*time.Second, n.Name()+" reports health up", func() bool { return n.Health().Up })
	}
	if !a.Send(b.Node(), []byte("back")) || !b.Send(a.Node(), []byte("back")) {
		t.Fatal("Send once health is up: dropped")
	}
	for _, n := range []*node{a, b} {
		waitFor(t, 2*time.Second, n.Name()+" receives the frame sent once health was up", func() bool {
			return slices.Equal(n.in.snapshot().frames, []string{"back"})
		})
	}
}

// A node that stops beating is reported gone within the bound, by one
// node or more (the first to see it may forget it before the others
// look), and forgotten once an Inbound took note.
func TestAbandonedNodeIsGone(t *testing.T) {
	url, prefix := clustertest.Redis(t)
	a := start(t, url, prefix, "a", bound)
	b := start(t, url, prefix, "b", bound)
	c := start(t, url, prefix, "c", bound)
	time.Sleep(bound / 2) // every node beat a few times
	b.Abandon()
	killed := time.Now()
	reported := func(n *node) bool { return slices.Contains(n.in.snapshot().gone, b.Node()) }
	waitFor(t, 2*bound, "a node finds b gone", func() bool { return reported(a) || reported(c) })
	if d := time.Since(killed); d > bound {
		t.Errorf("b found gone after %s; want within %s", d, bound)
	}
	waitFor(t, bound, "b is no longer listed", func() bool {
		ns, err := a.Nodes(context.Background())
		return err == nil && len(ns) == 2 && !slices.ContainsFunc(ns, func(s signal.NodeStats) bool { return s.Node == b.Node() })
	})
	time.Sleep(bound / 2) // no node reports b again, nor anybody else
	for _, n := range []*node{a, c} {
		if g := n.in.snapshot().gone; len(g) > 1 || slices.ContainsFunc(g, func(s string) bool { return s != b.Node() }) {
			t.Errorf("%s found %q gone; want b at most once", n.Name(), g)
		}
	}
}

// A node that stops leaves at once: nobody needs to find it gone.
func TestStoppedNodeLeaves(t *testing.T) {
	url, prefix := clustertest.Redis(t)
	a := start(t, url, prefix, "a", bound)
	b := start(t, url, prefix, "b", bound)
	b.Stop(context.Background())
	b.Stop(context.Background()) // again: nothing
	ns, err := a.Nodes(context.Background())
	if err != nil || len(ns) != 1 || ns[0].Node != a.Node() {
		t.Fatalf("Nodes after b stopped: %+v, %v; want a only", ns, err)
	}
	time.Sleep(bound + bound/2)
	if g := a.in.snapshot().gone; len(g) != 0 {
		t.Fatalf("a found %q gone; want none", g)
	}
	if b.Health().Up || b.Send(a.Node(), []byte("x")) {
		t.Fatal("a stopped node reports health up or takes frames")
	}
	if _, err := b.Append(context.Background(), []byte("x")); err == nil {
		t.Fatal("a stopped node appends")
	}
}

// Nodes lists every live node's figures, by name.
func TestNodesReportsEveryNode(t *testing.T) {
	url, prefix := clustertest.Redis(t)
	b := start(t, url, prefix, "bb", bound)
	a := start(t, url, prefix, "a", bound)
	ns, err := b.Nodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 2 {
		t.Fatalf("Nodes: %+v; want 2", ns)
	}
	for i, n := range []*node{a, b} {
		s := ns[i]
		if s.Node != n.Node() || s.Name != n.Name() || s.Conns != int64(len(n.Name())) || s.MsgsIn != 7 {
			t.Errorf("Nodes[%d] = %+v; want %s's figures", i, s, n.Name())
		}
		if time.Since(s.Started) > 5*time.Second || time.Since(s.Reported) > 5*time.Second {
			t.Errorf("Nodes[%d] started %s, reported %s; want just now", i, s.Started, s.Reported)
		}
		if !strings.HasPrefix(n.Node(), n.Name()+"-") || len(n.Node()) != len(n.Name())+7 {
			t.Errorf("node id %q; want its name and 6 hex digits", n.Node())
		}
	}
}

// New checks its options and never repeats the password of a bad URL.
func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []cluster.Options{
		{URL: "http://127.0.0.1:6379", Timeout: time.Second, OfflineBound: bound},
		{URL: "redis://user:s3cret@[::1", Timeout: time.Second, OfflineBound: bound},
		{URL: "redis://127.0.0.1:6379", OfflineBound: bound},
		{URL: "redis://127.0.0.1:6379", Timeout: time.Second},
	} {
		if _, err := cluster.New(o); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("New(%+v): %v; want an error without the password", o, err)
		}
	}
}

// Stop and Abandon leave no goroutine behind, even with Redis gone.
func TestStopEndsEveryGoroutine(t *testing.T) {
	before := goleak.IgnoreCurrent()
	srv := clustertest.OwnRedis(t)
	a := start(t, srv.URL(), "c:", "a", bound)
	b := start(t, srv.URL(), "c:", "b", bound)
	if _, err := a.Start(a.in); err == nil {
		t.Error("a second Start: no error")
	}
	srv.Stop()
	waitFor(t, 2*time.Second, "a reports health down", func() bool { return !a.Health().Up })
	a.Abandon()
	b.Stop(context.Background())
	goleak.VerifyNone(t, before)
}
