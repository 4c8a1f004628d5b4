package signal

import (
	"strconv"
	"sync/atomic"
	"time"

	"callapp/models"
)

// Stats is a snapshot of the hub's counters for the admin dashboard.
type Stats struct {
	Started            time.Time `json:"started"`
	UptimeSec          int64     `json:"uptimeSec"`
	OpenConnections    int64     `json:"connections"` // upgraded, whether or not connected
	OnlineUsers        int64     `json:"onlineUsers"`
	RingingCalls       int64     `json:"ringingCalls"`
	ActiveCalls        int64     `json:"activeCalls"`
	Rooms              int64     `json:"rooms"`        // rooms with members
	RoomMembers        int64     `json:"roomMembers"`  // users in a room
	ChatMessages       uint64    `json:"chatMessages"` // stored since start
	MessagesIn         uint64    `json:"messagesIn"`
	MessagesOut        uint64    `json:"messagesOut"`
	SlowClientsDropped uint64    `json:"slowClientsDropped"`
	LiveBroadcasts     int64     `json:"liveBroadcasts"`
	LiveViewers        int64     `json:"liveViewers"` // of all broadcasts together
	AwayUsers          int64     `json:"awayUsers"`   // connections gone, places kept for the resume grace
}

// Counters is everything the hub counts, for the metrics endpoint. Its
// Stats is the dashboard's summary of the same counters: the two never
// disagree.
type Counters struct {
	Stats
	InByMethod   map[string]uint64 // messages read, by method ("other": unknown or not JSON)
	OutByMethod  map[string]uint64 // messages written, by their envelope's method
	Errors       map[string]uint64 // 10001 answers, by reason
	Closes       map[string]uint64 // connections the server closed, by close code ("broken": no close frame)
	CallsStarted uint64            // invites that rang
	CallsEnded   map[string]uint64 // by end reason
	// RecordsQueued are call record changes waiting for the database;
	// RecordsDropped were lost: the queue was full, or shutdown came
	// before the database took them.
	RecordsQueued  int64
	RecordsDropped uint64
	// StatsSamples are the Call/Stats samples taken; CallsRelayed the
	// calls a sample said went through the relay; CallsResumed the calls
	// a party came back to within the resume grace.
	StatsSamples uint64
	CallsRelayed uint64
	CallsResumed uint64
}

// counters are updated where things happen and read without locks.
type counters struct {
	started     time.Time
	open        atomic.Int64
	online      atomic.Int64
	ringing     atomic.Int64
	active      atomic.Int64
	rooms       atomic.Int64
	roomMembers atomic.Int64
	chat        atomic.Uint64
	slowDropped atomic.Uint64
	callsRang   atomic.Uint64
	lives       atomic.Int64
	viewers     atomic.Int64
	away        atomic.Int64

	statsTaken, callsRelayed, callsResumed atomic.Uint64

	// Several nodes: users connected to this node, calls it records,
	// relays it sent to other nodes and frames it dropped.
	local, recorded        atomic.Int64
	relayed, framesDropped atomic.Uint64

	in, out, errors, closes, callsEnded *tally
}

func newCounters() counters {
	methods := []string{models.MethodConnect, models.MethodOffer, models.MethodAnswer, models.MethodCandidate,
		models.MethodSendToAll, models.MethodInvite, models.MethodAccept, models.MethodReject, models.MethodHangup,
		models.MethodRoomJoin, models.MethodRoomLeave, models.MethodRoomMsg,
		models.MethodLiveStart, models.MethodLiveStop, models.MethodLiveWatch, models.MethodLiveLeave,
		models.MethodCallStats}
	return counters{
		started: time.Now(),
		in:      newTally(methods...),
		out:     newTally(append(methods, models.MethodStatus, models.MethodDisconnect)...),
		errors: newTally(models.ReasonBadJSON, models.ReasonUnknownMethod, models.ReasonMissingField,
			models.ReasonEmpty, models.ReasonTooLong, models.ReasonRateLimited, models.ReasonNotConnected,
			models.ReasonAlreadyConnected, models.ReasonNotInCall, models.ReasonAlreadyInCall,
			models.ReasonUnknownCall, models.ReasonInternal, models.ReasonControlChar,
			models.ReasonBadRoom, models.ReasonAlreadyInRoom, models.ReasonNotInRoom,
			models.ReasonBadTitle, models.ReasonAlreadyLive, models.ReasonNotLive, models.ReasonNoSuchLive,
			models.ReasonAlreadyWatching, models.ReasonNotWatching,
			models.ReasonBadStats, models.ReasonBadReason, models.ReasonUnavailable),
		closes: newTally(closeLabel(models.CloseNormal), closeLabel(models.CloseGoingAway),
			closeLabel(models.ClosePolicyViolation), closeLabel(models.CloseTooBig),
			closeLabel(models.CloseKicked), closeLabel(models.CloseReplaced), closeLabel(models.CloseServiceRestart), closeBroken),
		callsEnded: newTally(models.CallRejected, models.CallHangup, models.CallCancelled,
			models.CallDisconnected, models.CallTimeout, models.CallShutdown, models.CallServerRestart, models.CallMediaFailed),
	}
}

// closeBroken labels a connection dropped without a close frame.
const closeBroken = "broken"

func closeLabel(code int) string { return strconv.Itoa(code) }

// Stats returns the current counters. Each is read atomically; together
// they are a near-instant, not a transactional, snapshot.
func (h *Hub) Stats() Stats {
	s := &h.stats
	return Stats{
		Started:            s.started,
		UptimeSec:          int64(time.Since(s.started) / time.Second),
		OpenConnections:    s.open.Load(),
		OnlineUsers:        s.online.Load(),
		RingingCalls:       s.ringing.Load(),
		ActiveCalls:        s.active.Load(),
		Rooms:              s.rooms.Load(),
		RoomMembers:        s.roomMembers.Load(),
		ChatMessages:       s.chat.Load(),
		MessagesIn:         s.in.total(),
		MessagesOut:        s.out.total(),
		SlowClientsDropped: s.slowDropped.Load(),
		LiveBroadcasts:     s.lives.Load(),
		LiveViewers:        s.viewers.Load(),
		AwayUsers:          s.away.Load(),
	}
}

// Counters returns every counter, for the metrics endpoint.
func (h *Hub) Counters() Counters {
	s := &h.stats
	return Counters{
		Stats:      h.Stats(),
		InByMethod: s.in.snapshot(), OutByMethod: s.out.snapshot(),
		Errors: s.errors.snapshot(), Closes: s.closes.snapshot(),
		CallsStarted: s.callsRang.Load(), CallsEnded: s.callsEnded.snapshot(),
		RecordsQueued: h.rec.queued.Load(), RecordsDropped: h.rec.dropped.Load(),
		StatsSamples: s.statsTaken.Load(), CallsRelayed: s.callsRelayed.Load(), CallsResumed: s.callsResumed.Load(),
	}
}

// tally counts events by a label from a fixed set, without locks; an
// unknown label counts as "other", so that clients cannot grow the set.
type tally struct {
	index map[string]int // label -> slot; read-only after newTally
	names []string
	n     []atomic.Uint64
}

const otherLabel = "other"

func newTally(labels ...string) *tally {
	t := &tally{index: make(map[string]int, len(labels)+1), n: make([]atomic.Uint64, len(labels)+1)}
	for i, l := range append(labels, otherLabel) {
		t.index[l] = i
		t.names = append(t.names, l)
	}
	return t
}

func (t *tally) add(label string) { t.slot(label).Add(1) }

// addBytes is add for a label still in a message's bytes (no allocation).
func (t *tally) addBytes(label []byte) {
	i, ok := t.index[string(label)]
	if !ok {
		i = len(t.n) - 1
	}
	t.n[i].Add(1)
}

func (t *tally) slot(label string) *atomic.Uint64 {
	i, ok := t.index[label]
	if !ok {
		i = len(t.n) - 1
	}
	return &t.n[i]
}

func (t *tally) total() uint64 {
	var sum uint64
	for i := range t.n {
		sum += t.n[i].Load()
	}
	return sum
}

func (t *tally) snapshot() map[string]uint64 {
	m := make(map[string]uint64, len(t.n))
	for i, name := range t.names {
		m[name] = t.n[i].Load()
	}
	return m
}

// envelopeMethod returns the method of an envelope the server built: all
// of them start with it (json.Marshal of models.Outbound, appendHeader).
func envelopeMethod(msg []byte) []byte {
	const prefix = `{"method":"`
	if len(msg) < len(prefix) || string(msg[:len(prefix)]) != prefix {
		return nil
	}
	rest := msg[len(prefix):]
	for i, c := range rest {
		if c == '"' {
			return rest[:i]
		}
	}
	return nil
}
