// Package cluster implements signal.Cluster on Redis: one log (a stream
// and a counter, appended to by one Lua script) that every node reads in
// order, a pub/sub channel per node for frames, and a beat that keeps
// each live node's key from expiring (docs/cluster-plan.md).
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"callapp/controllers/signal"
)

// Options configures a Redis cluster.
type Options struct {
	URL          string        // REDIS_URL: redis:// or rediss://
	Prefix       string        // REDIS_PREFIX: every key and channel starts with it
	Timeout      time.Duration // REDIS_TIMEOUT: dial, read and write timeout of every command
	OfflineBound time.Duration // CLUSTER_OFFLINE_BOUND: a dead node is reported gone within it
	Name         string        // NODE_ID; empty: the host name
	Logger       *slog.Logger  // nil: slog.Default()
	// SnapshotEvery is how many entries the log holds before a node
	// stores a snapshot and trims what every node has applied; zero:
	// SnapshotEvery.
	SnapshotEvery int
}

// SnapshotEvery is the default of Options.SnapshotEvery.
const SnapshotEvery = 10000

// Redis is a signal.Cluster on Redis. Build it with New.
type Redis struct {
	o     Options
	node  string
	keys  keys
	every time.Duration // beat period, and the reader's longest block
	rdb   *redis.Client
	log   *slog.Logger

	ctx    context.Context // ends at Stop or Abandon
	cancel context.CancelFunc

	mu        sync.Mutex // guards health, life, started, in, listening
	health    signal.Health
	life      uint64 // of the log as the reader last found it
	started   time.Time
	in        signal.Inbound
	listening bool // this node's channel is subscribed: frames sent to it arrive

	notify sync.Mutex // held while HealthChanged runs: one at a time, in order

	frames chan outFrame
	lost   atomic.Uint64 // frames accepted by Send that Redis did not take

	ps     *redis.PubSub
	loops  sync.WaitGroup // beat and publisher: they write liveness and frames
	reads  sync.WaitGroup // reader and subscriber: they block on Redis
	halted sync.Once
}

var _ signal.Cluster = (*Redis)(nil)

// ErrUnavailable is the error of Append while Redis is unreachable or
// the log began again; the hub answers such requests "unavailable".
var ErrUnavailable = errors.New("cluster: unavailable")

// New checks o and builds the clients. It contacts nobody: Start does.
func New(o Options) (*Redis, error) {
	if o.Timeout <= 0 || o.OfflineBound <= 0 {
		return nil, errors.New("cluster: Timeout and OfflineBound must be positive")
	}
	ro, err := redis.ParseURL(o.URL)
	if err != nil {
		// A url.Error repeats the URL, password and all: keep only its cause.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cluster: REDIS_URL: %w", err)
	}
	if o.Name == "" {
		if o.Name, err = os.Hostname(); err != nil {
			return nil, fmt.Errorf("cluster: node name: %w", err)
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.SnapshotEvery <= 0 {
		o.SnapshotEvery = SnapshotEvery
	}
	node := o.Name + "-" + randomHex(3)
	ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout = o.Timeout, o.Timeout, o.Timeout
	ro.ContextTimeoutEnabled = true // so that a caller's deadline bounds the command
	// A retried append could enter the log twice; a failure is reported
	// instead, and the reader brings health back.
	ro.MaxRetries = -1
	ro.DialerRetries = 1
	ro.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}

	ctx, cancel := context.WithCancel(context.Background())
	return &Redis{
		o: o, node: node, keys: newKeys(o.Prefix), every: o.OfflineBound / 5,
		rdb: redis.NewClient(ro), log: o.Logger.With("node", node),
		ctx: ctx, cancel: cancel,
		health: signal.Health{Since: time.Now(), Reason: "not started"},
		frames: make(chan outFrame, frameQueue),
	}, nil
}

// Node implements signal.Cluster: Name and a random suffix.
func (r *Redis) Node() string { return r.node }

// Name implements signal.Cluster.
func (r *Redis) Name() string { return r.o.Name }

// Start implements signal.Cluster. It subscribes to this node's channel
// before it beats, so that no frame sent once it is listed is lost. After
// an error, Stop releases what it took.
func (r *Redis) Start(in signal.Inbound) (fresh bool, err error) {
	r.mu.Lock()
	again := r.in != nil || r.ctx.Err() != nil
	if !again {
		r.in = in
	}
	r.mu.Unlock()
	if again {
		return false, errors.New("cluster: Start after Start or Stop")
	}
	ctx, cancel := context.WithTimeout(r.ctx, 3*r.o.Timeout)
	defer cancel()
	life, fresh, err := r.begin(ctx)
	if err != nil {
		return false, err
	}
	var from uint64 // the log's entries up to it are in the snapshot loaded
	if !fresh {
		if from, err = r.load(ctx, life); err != nil {
			return false, err
		}
	}
	if err := r.subscribe(ctx); err != nil {
		return false, err
	}
	r.mu.Lock()
	r.life, r.started, r.listening = life, time.Now(), true
	r.mu.Unlock()
	if err := r.beat(ctx); err != nil {
		return false, fmt.Errorf("cluster: first beat: %w", err)
	}
	r.mu.Lock()
	r.health = signal.Health{Up: true, Since: time.Now()}
	r.mu.Unlock()
	r.log.Info("cluster: joined the log", "life", life, "fresh", fresh)

	r.reads.Add(2)
	go r.receive()
	go r.read(life, from)
	r.loops.Add(2)
	go r.beatLoop()
	go r.publish()
	return fresh, nil
}

// Stop implements signal.Cluster: this node leaves the live set at once,
// so no other node reports it gone. It returns once every goroutine of r
// has ended.
func (r *Redis) Stop(ctx context.Context) {
	r.halt(func() {
		ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
		defer cancel()
		pipe := r.rdb.TxPipeline()
		pipe.Del(ctx, r.keys.alive(r.node), r.keys.stats(r.node))
		pipe.SRem(ctx, r.keys.nodes, r.node)
		if _, err := pipe.Exec(ctx); err != nil {
			r.log.Warn("cluster: could not leave; the others will find this node gone", "err", err)
		}
	})
}

// Abandon stops r as SIGKILL would: every goroutine ends and the clients
// close, but this node stays listed until its liveness expires. For tests.
func (r *Redis) Abandon() { r.halt(func() {}) }

// halt ends every goroutine, runs leave once nothing beats any more, and
// closes the clients. Only the first call does anything.
func (r *Redis) halt(leave func()) {
	r.halted.Do(func() {
		r.mu.Lock()
		started := r.in != nil
		r.health = signal.Health{Since: time.Now(), Reason: "stopped"}
		r.mu.Unlock()
		r.cancel()
		r.loops.Wait()
		if started {
			leave()
		}
		if r.ps != nil {
			_ = r.ps.Close() // ends the subscriber's Receive
		}
		_ = r.rdb.Close() // ends the reader's XREAD
		r.reads.Wait()
	})
}

// pause waits d, or less if r stops; it reports whether r goes on.
func (r *Redis) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// keys names every key and channel under the prefix.
type keys struct {
	prefix, epoch, seq, log, snap, nodes string
}

func newKeys(p string) keys {
	return keys{prefix: p, epoch: p + "epoch", seq: p + "seq", log: p + "log", snap: p + "snap", nodes: p + "nodes"}
}

func (k keys) alive(node string) string   { return k.prefix + "alive:" + node }
func (k keys) stats(node string) string   { return k.prefix + "node:" + node }
func (k keys) channel(node string) string { return k.prefix + "node:" + node }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// LogTo sends go-redis's own messages (a failed dial while Redis is down)
// to log at debug level, where they would otherwise go to stderr: the
// node's health changes say the same once, at warn. go-redis has one
// logger for the whole process, so main sets it, once.
func LogTo(log *slog.Logger) {
	redis.SetLogger(goRedisLog{log})
}

type goRedisLog struct{ log *slog.Logger }

func (l goRedisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
