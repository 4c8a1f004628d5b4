package signal

import (
	"log/slog"
	"net/http"
	"time"

	"callapp/config"
	"callapp/models"
)

// FromConfig returns the hub's settings from cfg, the one mapping of
// configuration to hub; the callbacks (origin check, ICE servers, logger,
// relay latency) are the caller's to add.
func FromConfig(cfg *config.Config) Options {
	return Options{
		PingInterval: cfg.WSPingInterval, PongWait: cfg.WSPongWait, WriteWait: cfg.WSWriteWait,
		ConnectTimeout: cfg.WSConnectTimeout, MaxMessageBytes: cfg.WSMaxMessage, SendQueue: cfg.WSSendQueue,
		MessageRate: cfg.WSMessageRate, MessageBurst: cfg.WSMessageBurst, MaxPendingPerAddr: cfg.WSMaxPendingPerIP,
		ChatRate: cfg.ChatRate, ChatBurst: cfg.ChatBurst, RingTimeout: cfg.CallRingTimeout,
		PresenceTick: cfg.PresenceTick, PresenceRate: cfg.PresenceRate,
		// Call records wait for a failing database; calls going on are marked alive.
		RecordQueue: cfg.CallRecordQueue, CallHeartbeat: cfg.CallHeartbeat,
		ResumeGrace: cfg.CallResumeGrace, MediaTimeout: cfg.CallMediaTimeout,
		RoomCapacity:   cfg.RoomCapacity,
		LiveMaxViewers: cfg.LiveMaxViewers,
	}
}

// Options tunes the hub. The fields marked "setting" are the server's
// settings: FromConfig fills them from the configuration, which
// holds their defaults and says what they mean, and New panics naming one
// left zero, so that no second default can drift from the first. The other
// numbers are not settings: a zero one takes the value of the constant
// named in its comment. Tests shorten either kind to milliseconds.
type Options struct {
	PingInterval    time.Duration // setting; kept below PongWait
	PongWait        time.Duration // setting: a connection silent this long is dead
	WriteWait       time.Duration // setting: a write blocked longer drops the client (checked every WriteWait/4)
	ConnectTimeout  time.Duration // setting: time a new connection has to send User/Connect
	SessionCheck    time.Duration // how often idle connections are checked for an expired session; zero: SessionCheck
	MaxMessageBytes int64         // setting: a larger message closes the connection with 1009
	SendQueue       int           // setting: frames queued for a client before it counts as too slow

	// MaxPendingPerAddr (setting) is how many connections one client
	// address may hold that have upgraded but not sent User/Connect; Serve
	// refuses more.
	MaxPendingPerAddr int

	MessageRate  float64 // setting: messages per second per connection...
	MessageBurst int     // setting: ...and their burst; excess gets 10001 rate_limited
	RateStrikes  int     // rate-limited messages tolerated (refilled one a second) before a 1008 close; zero: RateStrikes
	ChatRate     float64 // setting: chat messages per second per user...
	ChatBurst    int     // setting: ...and their burst

	RingTimeout  time.Duration // setting: an unanswered invite ends with "timeout"
	PresenceTick time.Duration // setting: presence changes within it go out as one envelope
	// PresenceRate (setting) is the presence envelopes per second a tick
	// may cost: every tick sends one to each user online, so with more
	// than PresenceRate*PresenceTick users online the tick stretches to
	// online/PresenceRate seconds.
	PresenceRate float64
	ChatHistory  int // messages in the 10004 history on connect; zero: ChatHistory
	RoomCapacity int // setting: members a room holds

	// Call records wait in a queue of RecordQueue (setting) events while
	// the database fails; a failed write is tried again after RecordRetry,
	// the pause doubling up to RecordRetryMax. Close gives the database
	// RecordCloseWait to take what is queued. The three are not settings:
	// zero takes the constants of the same names.
	RecordQueue     int
	RecordRetry     time.Duration
	RecordRetryMax  time.Duration
	RecordCloseWait time.Duration
	// CallHeartbeat (setting) is how often the calls going on are recorded
	// as alive: a crash loses at most this much of their duration.
	CallHeartbeat time.Duration
	// ResumeGrace (setting) is how long an accepted call, a room seat or a
	// broadcast is kept for a user whose connection went without hanging
	// up; MediaTimeout (setting) is handed to pages, which hang up with
	// media_failed when a broken media path is not back within it.
	ResumeGrace  time.Duration
	MediaTimeout time.Duration
	// StatsGrace is how long after a call ends its parties' Call/Stats
	// are still taken (a page sends its last sample right after 10015)
	// before its quality is recorded; zero: StatsGrace.
	StatsGrace time.Duration

	LiveMaxViewers int // setting: viewers one broadcast may have; one more gets 10034
	// LiveUpdateEvery is the least time between two 10030 of one broadcast
	// whose viewer count changes; zero: LiveUpdateEvery.
	LiveUpdateEvery time.Duration

	// CheckOrigin decides whether an upgrade's Origin is allowed; nil
	// allows only the request's own host (gorilla's same-origin check).
	CheckOrigin func(r *http.Request) bool
	// ICEServers returns the STUN/TURN servers for a user's welcome; nil
	// sends none (host candidates only).
	ICEServers func(userID uint64) []models.ICEServer
	Logger     *slog.Logger // nil: slog.Default()
	// ObserveRelay, if set, is given the time each relayed offer, answer or
	// candidate spent in the hub, from being read to being queued for its
	// target. It runs on the loop: it must be quick (a histogram's Observe).
	ObserveRelay func(time.Duration)
	// ObserveSetup, if set, is given each call's set-up time (invite to
	// first frame, the smallest its pages reported) when its quality is
	// recorded. It runs on the loop: it must be quick.
	ObserveSetup func(time.Duration)

	// Cluster, if set, joins this hub to the hubs of other nodes
	// (replica.go); nil: one node, all in memory. ClusterWait bounds how
	// long a request waits for its entry of the cluster's log to be
	// applied; zero: ClusterWait.
	Cluster     Cluster
	ClusterWait time.Duration
}

// The values of the options that are not settings, for a zero field.
// They are exported for the test that holds models/protocol.md to them.
const (
	SessionCheck    = 10 * time.Second
	RateStrikes     = 20
	ChatHistory     = 50
	RecordRetry     = time.Second
	RecordRetryMax  = time.Minute
	RecordCloseWait = 5 * time.Second
	LiveUpdateEvery = time.Second
	StatsGrace      = 5 * time.Second
	ClusterWait     = 5 * time.Second
)

// withDefaults fills the zero fields that are not settings and panics on a
// zero setting: a hub without a ping interval or a send queue cannot run,
// and a silent fallback would be a second default.
func (o Options) withDefaults() Options {
	o.mustSet()
	setDuration(&o.SessionCheck, SessionCheck)
	setDuration(&o.RecordRetry, RecordRetry)
	setDuration(&o.RecordRetryMax, RecordRetryMax)
	setDuration(&o.RecordCloseWait, RecordCloseWait)
	setDuration(&o.LiveUpdateEvery, LiveUpdateEvery)
	setDuration(&o.StatsGrace, StatsGrace)
	setDuration(&o.ClusterWait, ClusterWait)
	setNumber(&o.RateStrikes, RateStrikes)
	setNumber(&o.ChatHistory, ChatHistory)
	if o.PingInterval >= o.PongWait {
		// A ping must be answered before the read deadline it renews runs out.
		o.PingInterval = o.PongWait * 9 / 10
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// mustSet panics naming the first setting left zero or negative.
func (o *Options) mustSet() {
	for _, s := range []struct {
		name string
		ok   bool
	}{
		{"PingInterval", o.PingInterval > 0}, {"PongWait", o.PongWait > 0}, {"WriteWait", o.WriteWait > 0},
		{"ConnectTimeout", o.ConnectTimeout > 0}, {"MaxMessageBytes", o.MaxMessageBytes > 0},
		{"SendQueue", o.SendQueue > 0}, {"MaxPendingPerAddr", o.MaxPendingPerAddr > 0},
		{"MessageRate", o.MessageRate > 0}, {"MessageBurst", o.MessageBurst > 0},
		{"ChatRate", o.ChatRate > 0}, {"ChatBurst", o.ChatBurst > 0}, {"RingTimeout", o.RingTimeout > 0},
		{"PresenceTick", o.PresenceTick > 0}, {"PresenceRate", o.PresenceRate > 0},
		{"RecordQueue", o.RecordQueue > 0}, {"CallHeartbeat", o.CallHeartbeat > 0},
		{"ResumeGrace", o.ResumeGrace > 0}, {"MediaTimeout", o.MediaTimeout > 0},
		{"RoomCapacity", o.RoomCapacity > 0},
		{"LiveMaxViewers", o.LiveMaxViewers > 0},
	} {
		if !s.ok {
			panic("signal: Options." + s.name + " must be positive: fill the options from the configuration")
		}
	}
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func setNumber[T int | int64 | float64](n *T, def T) {
	if *n <= 0 {
		*n = def
	}
}

// closeGrace is how long a writer that sent a close frame waits for the
// peer's answering close before dropping the TCP connection.
func (o *Options) closeGrace() time.Duration { return min(o.WriteWait, time.Second) }

// callTimeoutSec is the ring timeout as the welcome shows it, rounded up
// so that a short test timeout never reads as "no timeout".
func (o *Options) callTimeoutSec() int {
	return int((o.RingTimeout + time.Second - 1) / time.Second)
}
