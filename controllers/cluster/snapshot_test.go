package cluster_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"callapp/controllers/cluster"
	"callapp/controllers/cluster/clustertest"
)

// TestSnapshotTrimsTheLogAndStartsLateNodes: once the log is long, a
// node stores a snapshot and, at the next one, trims what the first
// covers; a node that joins then loads the snapshot and reads on, and
// ends up with every entry, in order, as the others applied them.
func TestSnapshotTrimsTheLogAndStartsLateNodes(t *testing.T) {
	url, prefix := clustertest.Redis(t)
	every := func(o *cluster.Options) { o.SnapshotEvery = 20 }
	a := start(t, url, prefix, "a", time.Second, every)
	b := start(t, url, prefix, "b", time.Second, every)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	snapAt := func() uint64 { n, _ := rdb.HGet(ctx, prefix+"snap", "seq").Uint64(); return n }

	a.appendN(t, "first", 60)
	waitFor(t, 10*time.Second, "a snapshot at the 60th entry", func() bool { return snapAt() == 60 })
	b.appendN(t, "second", 30)
	waitFor(t, 10*time.Second, "the log trimmed to what follows the first snapshot", func() bool {
		n, _ := rdb.XLen(ctx, prefix+"log").Result()
		return snapAt() == 90 && n == 30
	})

	c := start(t, url, prefix, "c", time.Second, every)
	c.appendN(t, "third", 5)
	waitFor(t, 5*time.Second, "every node applies all 95 entries", func() bool {
		return len(a.entries()) == 95 && len(c.entries()) == 95
	})
	if got, want := c.entries(), a.entries(); !slices.Equal(got, want) {
		t.Fatalf("the late node applied %v, the first %v", got, want)
	}
	if loaded := c.in.snapshot().loaded; loaded != 90 {
		t.Fatalf("the late node loaded %d entries from the snapshot, want 90", loaded)
	}
}
