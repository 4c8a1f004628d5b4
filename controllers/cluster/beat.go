package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"callapp/controllers/signal"
)

// The liveness key outlives a beat by two more beats, so one slow round
// trip does not make a node look dead; the stats hash lasts longer, so
// Nodes still shows a node the reaper has not forgotten yet.
const (
	aliveFor = 3 // beats
	statsFor = 15
)

func (r *Redis) beatLoop() {
	defer r.loops.Done()
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(r.ctx, r.o.Timeout)
		if err := r.beat(ctx); err != nil {
			if r.ctx.Err() == nil {
				r.down("redis unavailable: " + err.Error())
			}
		} else if r.settled() {
			r.reap(ctx)
			if err := r.compact(ctx); err != nil && r.ctx.Err() == nil {
				r.log.Warn("cluster: could not store a snapshot of the log", "err", err)
			}
		}
		cancel()
	}
}

// beat says this node is alive, publishes its figures, and checks that
// the log is still in the life this node reads: a reader that missed a
// restart of Redis learns of it here within a beat.
func (r *Redis) beat(ctx context.Context) error {
	life, _ := r.current()
	st := r.in.Stats()
	r.mu.Lock()
	st.Node, st.Name = r.node, r.o.Name
	if st.Started.IsZero() {
		st.Started = r.started
	}
	r.mu.Unlock()
	st.Reported = time.Now()
	st.Dropped += r.lost.Load()

	pipe := r.rdb.Pipeline()
	pipe.Set(ctx, r.keys.alive(r.node), "1", aliveFor*r.every)
	pipe.SAdd(ctx, r.keys.nodes, r.node)
	pipe.HSet(ctx, r.keys.stats(r.node), statsFields(st)...)
	pipe.PExpire(ctx, r.keys.stats(r.node), statsFor*r.every)
	epoch := pipe.Get(ctx, r.keys.epoch)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	// Unless the reader moved to another life meanwhile, which it reads.
	now, h := r.current()
	if h.Up && now == life && epoch.Val() != strconv.FormatUint(life, 10) {
		r.down("the log began again")
	}
	return nil
}

// settled reports whether health has been up long enough for every live
// node to have beaten since: after an outage, liveness keys may have
// expired while their nodes could not reach Redis.
func (r *Redis) settled() bool {
	h := r.Health()
	return h.Up && time.Since(h.Since) >= 2*r.every
}

// reap reports every other listed node whose liveness expired, and
// forgets it once the hub took note. Every node reaps: the hub's entry
// for a gone node may be appended several times.
func (r *Redis) reap(ctx context.Context) {
	members, err := r.rdb.SMembers(ctx, r.keys.nodes).Result()
	if err != nil {
		return // the next beat says whether Redis is down
	}
	members = slices.DeleteFunc(members, func(n string) bool { return n == r.node })
	pipe := r.rdb.Pipeline()
	alive := make([]*redis.IntCmd, len(members))
	for i, n := range members {
		alive[i] = pipe.Exists(ctx, r.keys.alive(n))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return
	}
	for i, n := range members {
		if alive[i].Val() != 0 {
			continue
		}
		if err := r.in.NodeGone(n); err != nil {
			r.log.Debug("cluster: a gone node stays listed", "gone", n, "err", err)
			continue
		}
		r.log.Warn("cluster: a node stopped beating", "gone", n)
		pipe := r.rdb.TxPipeline()
		pipe.SRem(ctx, r.keys.nodes, n)
		pipe.Del(ctx, r.keys.stats(n))
		_, _ = pipe.Exec(ctx) // if it fails, the node is reported again
	}
}

// Nodes implements signal.Cluster: the listed nodes whose figures have
// not expired, by name and then id.
func (r *Redis) Nodes(ctx context.Context) ([]signal.NodeStats, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	members, err := r.rdb.SMembers(ctx, r.keys.nodes).Result()
	if err != nil {
		return nil, fmt.Errorf("cluster: nodes: %w", err)
	}
	pipe := r.rdb.Pipeline()
	hashes := make([]*redis.MapStringStringCmd, len(members))
	for i, n := range members {
		hashes[i] = pipe.HGetAll(ctx, r.keys.stats(n))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("cluster: nodes: %w", err)
	}
	out := make([]signal.NodeStats, 0, len(members))
	for _, h := range hashes {
		if len(h.Val()) > 0 {
			out = append(out, parseStats(h.Val()))
		}
	}
	slices.SortFunc(out, func(a, b signal.NodeStats) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Node, b.Node))
	})
	return out, nil
}

// statsFields is st as HSET's field-value pairs, named as in its JSON.
func statsFields(st signal.NodeStats) []any {
	return []any{
		"node", st.Node, "name", st.Name,
		"started", st.Started.Format(time.RFC3339Nano), "reported", st.Reported.Format(time.RFC3339Nano),
		"conns", st.Conns, "online", st.Online, "calls", st.Calls,
		"msgsIn", st.MsgsIn, "msgsOut", st.MsgsOut, "relayed", st.Relayed, "dropped", st.Dropped,
		"applied", st.Applied,
	}
}

// parseStats reads what statsFields wrote. A field it cannot read (from
// another version of the app) stays zero rather than hiding the node.
func parseStats(m map[string]string) signal.NodeStats {
	i := func(k string) int64 { n, _ := strconv.ParseInt(m[k], 10, 64); return n }
	u := func(k string) uint64 { n, _ := strconv.ParseUint(m[k], 10, 64); return n }
	t := func(k string) time.Time { v, _ := time.Parse(time.RFC3339Nano, m[k]); return v }
	return signal.NodeStats{
		Node: m["node"], Name: m["name"], Started: t("started"), Reported: t("reported"),
		Conns: i("conns"), Online: i("online"), Calls: i("calls"),
		MsgsIn: u("msgsIn"), MsgsOut: u("msgsOut"), Relayed: u("relayed"), Dropped: u("dropped"),
		Applied: u("applied"),
	}
}
