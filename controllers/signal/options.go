package signal

import (
	"log/slog"
	"net/http"
	"time"

	"callapp/models"
)

// Options tunes the hub. Every zero field gets the default named in its
// comment, so tests set only the timings they shorten to milliseconds.
type Options struct {
	PingInterval    time.Duration // 25s; kept below PongWait
	PongWait        time.Duration // 60s: a connection silent this long is dead
	WriteWait       time.Duration // 10s: a write blocked longer drops the client (checked every WriteWait/4)
	ConnectTimeout  time.Duration // 5s: time a new connection has to send User/Connect
	SessionCheck    time.Duration // 10s: how often idle connections are checked for an expired session
	MaxMessageBytes int64         // 64 KiB: a larger message closes the connection with 1009
	SendQueue       int           // 256: frames queued for a client before it counts as too slow

	// MaxPendingPerAddr (16) is how many connections one client address may
	// hold that have upgraded but not sent User/Connect; Serve refuses more.
	MaxPendingPerAddr int

	MessageRate  float64 // 20 messages per second per connection...
	MessageBurst int     // ...with bursts of 40; excess gets 10001 rate_limited
	RateStrikes  int     // 20: rate-limited messages tolerated (refilled 1/s) before a 1008 close
	ChatRate     float64 // 1 chat message per second per user...
	ChatBurst    int     // ...with bursts of 5

	RingTimeout  time.Duration // 30s: an unanswered invite ends with "timeout"
	PresenceTick time.Duration // 200ms: presence changes within it go out as one envelope
	// PresenceRate (10,000) is the presence envelopes per second a tick may
	// cost: every tick sends one to each user online, so with more than
	// PresenceRate*PresenceTick users online the tick stretches to
	// online/PresenceRate seconds (10,000 online: 1 s).
	PresenceRate float64
	ChatHistory  int // 50: messages in the 10004 history on connect

	// Call records wait in a queue of RecordQueue (10,000) events while
	// the database fails; a failed write is tried again after RecordRetry
	// (1s), the pause doubling up to RecordRetryMax (1m). Close gives the
	// database RecordCloseWait (5s) to take what is queued.
	RecordQueue     int
	RecordRetry     time.Duration
	RecordRetryMax  time.Duration
	RecordCloseWait time.Duration
	// CallHeartbeat (1m) is how often the calls going on are recorded as
	// alive: a crash loses at most this much of their duration.
	CallHeartbeat time.Duration

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
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	setDuration(&o.PongWait, 60*time.Second)
	setDuration(&o.PingInterval, 25*time.Second)
	setDuration(&o.WriteWait, 10*time.Second)
	setDuration(&o.ConnectTimeout, 5*time.Second)
	setDuration(&o.SessionCheck, 10*time.Second)
	setDuration(&o.RingTimeout, 30*time.Second)
	setDuration(&o.PresenceTick, 200*time.Millisecond)
	setDuration(&o.RecordRetry, time.Second)
	setDuration(&o.RecordRetryMax, time.Minute)
	setDuration(&o.RecordCloseWait, 5*time.Second)
	setDuration(&o.CallHeartbeat, time.Minute)
	if o.PingInterval >= o.PongWait {
		// A ping must be answered before the read deadline it renews runs out.
		o.PingInterval = o.PongWait * 9 / 10
	}
	setNumber(&o.MaxMessageBytes, 64<<10)
	setNumber(&o.SendQueue, 256)
	setNumber(&o.MaxPendingPerAddr, 16)
	setNumber(&o.MessageRate, 20)
	setNumber(&o.MessageBurst, 40)
	setNumber(&o.RateStrikes, 20)
	setNumber(&o.ChatRate, 1)
	setNumber(&o.ChatBurst, 5)
	setNumber(&o.ChatHistory, 50)
	setNumber(&o.PresenceRate, 10000)
	setNumber(&o.RecordQueue, 10000)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
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
