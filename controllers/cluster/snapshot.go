package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"callapp/controllers/signal"
)

// Snapshots keep the log short: once it holds Options.SnapshotEvery
// entries, one node stores the hub's state as of an entry it applied and
// trims the entries every live node has applied and the snapshot before
// covers. A node that joins loads the snapshot and reads on from it.

// snapScript stores a snapshot ARGV[3] taken at seq ARGV[2] of life
// ARGV[1] unless the log is in another life or holds a later snapshot,
// then trims the log below seq ARGV[4] (0: not at all). It returns 1 if
// it stored the snapshot. KEYS: epoch, snap, log.
var snapScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local old = redis.call('HGET', KEYS[2], 'seq')
if old and tonumber(old) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], 'life', ARGV[1], 'seq', ARGV[2], 'data', ARGV[3])
if tonumber(ARGV[4]) > 0 then redis.call('XTRIM', KEYS[3], 'MINID', ARGV[4] .. '-0') end
return 1
`)

// begun stores, as the first snapshot of a life this node just began, its
// state: the state the other nodes go on with, and the one a node that
// joins now starts from (the entries before were lost with Redis's data).
func (r *Redis) begun(ctx context.Context, life uint64) {
	at, state := r.in.Snapshot()
	if at.Life != life || at.Seq != 0 {
		return
	}
	err := snapScript.Run(ctx, r.rdb, []string{r.keys.epoch, r.keys.snap, r.keys.log},
		strconv.FormatUint(life, 10), "0", state, "0").Err()
	if err != nil {
		r.log.Warn("cluster: could not store the state a new life of the log begins with", "err", err)
	}
}

// load hands the hub the snapshot of life, if the log has one, and
// returns the seq it was taken at: the reader starts after it.
func (r *Redis) load(ctx context.Context, life uint64) (uint64, error) {
	v, err := r.rdb.HGetAll(ctx, r.keys.snap).Result()
	if err != nil {
		return 0, fmt.Errorf("cluster: snapshot: %w", err)
	}
	if v["life"] != strconv.FormatUint(life, 10) {
		return 0, nil // none, or one of a life gone
	}
	seq, err := strconv.ParseUint(v["seq"], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cluster: snapshot: seq %q", v["seq"])
	}
	if err := r.in.Load(signal.Pos{Life: life, Seq: seq}, []byte(v["data"])); err != nil {
		return 0, fmt.Errorf("cluster: snapshot: %w", err)
	}
	r.log.Info("cluster: started from a snapshot", "seq", seq)
	return seq, nil
}

// compact stores a snapshot and trims the log once it is long enough.
// The node first in the live set does it, so that one does; two that
// believe they are first store one snapshot each, the later winning.
func (r *Redis) compact(ctx context.Context) error {
	life, _ := r.current()
	n, err := r.rdb.XLen(ctx, r.keys.log).Result()
	if err != nil || n < int64(r.o.SnapshotEvery) {
		return err
	}
	nodes, err := r.Nodes(ctx)
	if err != nil || len(nodes) == 0 || slices.MinFunc(nodes, byNode).Node != r.node {
		return err
	}
	at, state := r.in.Snapshot()
	if at.Life != life || at.Seq == 0 {
		return nil
	}
	// Trim what the last snapshot covers and every live node applied:
	// a node a little behind reads on, and one that joins loads this.
	trim := uint64(0)
	prev, err := r.rdb.HGet(ctx, r.keys.snap, "seq").Uint64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	if prev > 0 {
		trim = prev
		for _, nd := range nodes {
			trim = min(trim, nd.Applied)
		}
	}
	stored, err := snapScript.Run(ctx, r.rdb, []string{r.keys.epoch, r.keys.snap, r.keys.log},
		strconv.FormatUint(life, 10), strconv.FormatUint(at.Seq, 10), state, strconv.FormatUint(trim+1, 10)).Int()
	if err != nil {
		return err
	}
	if stored == 1 {
		r.log.Info("cluster: stored a snapshot of the log", "seq", at.Seq, "bytes", len(state), "trimmed below", trim+1)
	}
	return nil
}

func byNode(a, b signal.NodeStats) int { return cmp.Compare(a.Node, b.Node) }
