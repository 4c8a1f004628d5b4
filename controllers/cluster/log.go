package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/redis/go-redis/v9"

	"callapp/controllers/signal"
)

// appendScript adds an entry to the log of life ARGV[1], or returns 0 if
// the log is in another life (Redis lost it, or another node began it
// again). KEYS: epoch, seq, log. ARGV: life, node, entry. Every entry
// carries its life (l) so that a reader can never take an entry of a new
// life for one of its own, and has its seq as stream id (streamID).
var appendScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local s = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], s .. '-0', 's', s, 'l', ARGV[1], 'n', ARGV[2], 'd', ARGV[3])
return s
`)

// renewScript begins a new life ARGV[2] if the log is still in life
// ARGV[1] (empty: none), emptying it; it returns the life the log is in.
// KEYS: epoch, seq, log, snap.
var renewScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if (cur or '') ~= ARGV[1] then return cur end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
return ARGV[2]
`)

// readCount is how many entries one XREAD returns at most.
const readCount = 512

// Append implements signal.Cluster. An error does not prove that the
// entry is not in the log: Redis may have appended it and the answer
// been lost. The reader applies it then like any other.
func (r *Redis) Append(ctx context.Context, entry []byte) (signal.Pos, error) {
	life, h := r.current()
	if !h.Up {
		return signal.Pos{}, fmt.Errorf("%w: %s", ErrUnavailable, h.Reason)
	}
	cctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	seq, err := appendScript.Run(cctx, r.rdb, r.logKeys(), life, r.node, entry).Uint64()
	switch {
	case err != nil && ctx.Err() != nil:
		return signal.Pos{}, fmt.Errorf("cluster: append: %w", err) // the caller gave up
	case err != nil:
		r.down("redis unavailable: " + err.Error())
		return signal.Pos{}, fmt.Errorf("%w: append: %w", ErrUnavailable, err)
	case seq == 0:
		r.down("the log began again")
		return signal.Pos{}, fmt.Errorf("%w: the log began again", ErrUnavailable)
	}
	return signal.Pos{Life: life, Seq: seq}, nil
}

// begin finds the log's life, beginning one if there is none; fresh
// reports that this node began it.
func (r *Redis) begin(ctx context.Context) (life uint64, fresh bool, err error) {
	life, fresh, err = r.renew(ctx, 0)
	if err != nil {
		return 0, false, fmt.Errorf("cluster: begin: %w", err)
	}
	return life, fresh, nil
}

// renew begins a new life if the log is in life old (0: none) and
// returns the life it is in; began reports that this call began it.
func (r *Redis) renew(ctx context.Context, old uint64) (life uint64, began bool, err error) {
	oldArg := ""
	if old != 0 {
		oldArg = strconv.FormatUint(old, 10)
	}
	next := rand.Uint64N(1<<64-1) + 1 // never 0, which means none
	cur, err := renewScript.Run(ctx, r.rdb, r.logKeys(), oldArg, strconv.FormatUint(next, 10)).Text()
	if err != nil {
		return 0, false, err
	}
	life, err = parseLife(cur)
	return life, life == next, err
}

func (r *Redis) logKeys() []string {
	return []string{r.keys.epoch, r.keys.seq, r.keys.log, r.keys.snap}
}

func parseLife(s string) (uint64, error) {
	life, err := strconv.ParseUint(s, 10, 64)
	if err != nil || life == 0 {
		return 0, fmt.Errorf("the epoch %q is not a life", s)
	}
	return life, nil
}

// reader is the state of the goroutine that reads the log. It alone
// calls Apply and NewLife, so they come in order.
type reader struct {
	r       *Redis
	life    uint64
	lastID  string // stream id of the last entry applied
	lastSeq uint64
	stale   bool // health went down: find the life before reading on
	broken  bool // the log disagrees with what was applied: begin a new life if it is still this one
	behind  bool // the entries this node still needed were trimmed: it can only be restarted
}

// streamID is the stream id of the entry seq: appendScript gives each
// entry its seq as id, so that a reader starts anywhere, and the log is
// trimmed by seq.
func streamID(seq uint64) string { return strconv.FormatUint(seq, 10) + "-0" }

func (r *Redis) read(life, from uint64) {
	defer r.reads.Done()
	rd := &reader{r: r, life: life, lastID: streamID(from), lastSeq: from}
	for r.ctx.Err() == nil && !rd.behind {
		if rd.stale || !r.Health().Up {
			if err := rd.check(); err != nil {
				if r.ctx.Err() == nil {
					r.down("redis unavailable: " + err.Error())
				}
				r.pause(r.every)
				continue
			}
		}
		rd.next()
	}
}

// next reads and applies what follows lastID, waiting a beat at most.
func (rd *reader) next() {
	r := rd.r
	ctx, cancel := context.WithTimeout(r.ctx, r.every+r.o.Timeout)
	defer cancel()
	res, err := r.rdb.XRead(ctx, &redis.XReadArgs{
		Streams: []string{r.keys.log, rd.lastID}, Count: readCount, Block: r.every,
	}).Result()
	if errors.Is(err, redis.Nil) || r.ctx.Err() != nil {
		return
	}
	if err != nil {
		rd.fail(false, "redis unavailable: "+err.Error())
		return
	}
	for _, stream := range res {
		for _, m := range stream.Messages {
			if !rd.apply(m) {
				return
			}
		}
	}
}

// apply applies m if it follows what was applied, or fails.
func (rd *reader) apply(m redis.XMessage) bool {
	seq, life, origin, data, ok := parseEntry(m.Values)
	switch {
	case !ok:
		rd.fail(true, "unreadable entry "+m.ID+" in the log")
		return false
	case life != rd.life:
		rd.fail(true, "the log began again")
		return false
	case seq > rd.lastSeq+1 && rd.trimmedPast():
		// Trimmed by the others while this node could not read (it was
		// declared gone meanwhile): its copy can never catch up.
		rd.behind = true
		rd.r.down("this node fell behind the log, which the other nodes trimmed meanwhile; restart it")
		return false
	case seq != rd.lastSeq+1:
		// A gap or a step back: Redis lost entries (a restart from an
		// old snapshot); what the nodes applied can no longer agree.
		rd.fail(true, fmt.Sprintf("the log went from %d to %d", rd.lastSeq, seq))
		return false
	}
	rd.lastID, rd.lastSeq = m.ID, seq
	rd.r.in.Apply(signal.Pos{Life: life, Seq: seq}, origin, data)
	return true
}

func (rd *reader) fail(broken bool, reason string) {
	rd.stale = true
	rd.broken = rd.broken || broken
	rd.r.down(reason)
}

// check is the life check after health went down: once Redis answers
// and this node listens on its channel again, it finds the log's life,
// begins a new one if the log was lost or went back, reads a new life
// from its beginning, and marks health up.
func (rd *reader) check() error {
	r := rd.r
	ctx, cancel := context.WithTimeout(r.ctx, r.o.Timeout)
	defer cancel()
	pipe := r.rdb.Pipeline()
	epoch := pipe.Get(ctx, r.keys.epoch)
	seq := pipe.Get(ctx, r.keys.seq)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	life, _ := parseLife(epoch.Val()) // 0 when missing or unreadable
	top, _ := seq.Uint64()
	began := false
	if life == 0 || (life == rd.life && (rd.broken || top < rd.lastSeq)) {
		var err error
		if life, began, err = r.renew(ctx, life); err != nil {
			return err
		}
	}
	if life != rd.life {
		r.log.Warn("cluster: the log begins again", "life", life, "was", rd.life)
		rd.life, rd.lastID, rd.lastSeq = life, "0-0", 0
		r.in.NewLife(life)
		if began {
			r.begun(ctx, life)
		}
	}
	rd.stale, rd.broken = false, false
	if !r.up(life) {
		return errNotListening
	}
	return nil
}

// parseEntry reads the fields appendScript wrote.
func parseEntry(v map[string]any) (seq, life uint64, origin string, data []byte, ok bool) {
	s, _ := v["s"].(string)
	l, _ := v["l"].(string)
	origin, _ = v["n"].(string)
	d, okd := v["d"].(string)
	seq, err1 := strconv.ParseUint(s, 10, 64)
	life, err2 := strconv.ParseUint(l, 10, 64)
	return seq, life, origin, []byte(d), okd && err1 == nil && err2 == nil
}

// trimmedPast reports whether the snapshot of the log is beyond what this
// reader applied: the entries between were trimmed, not lost.
func (rd *reader) trimmedPast() bool {
	r := rd.r
	ctx, cancel := context.WithTimeout(r.ctx, r.o.Timeout)
	defer cancel()
	v, err := r.rdb.HMGet(ctx, r.keys.snap, "life", "seq").Result()
	if err != nil || len(v) != 2 {
		return false
	}
	life, _ := v[0].(string)
	seq, _ := v[1].(string)
	n, err := strconv.ParseUint(seq, 10, 64)
	return err == nil && life == strconv.FormatUint(rd.life, 10) && n > rd.lastSeq
}
