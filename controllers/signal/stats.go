package signal

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of the hub's counters for the admin dashboard.
type Stats struct {
	Started            time.Time `json:"started"`
	UptimeSec          int64     `json:"uptimeSec"`
	OpenConnections    int64     `json:"connections"` // upgraded, whether or not connected
	OnlineUsers        int64     `json:"onlineUsers"`
	RingingCalls       int64     `json:"ringingCalls"`
	ActiveCalls        int64     `json:"activeCalls"`
	ChatMessages       uint64    `json:"chatMessages"` // stored since start
	MessagesIn         uint64    `json:"messagesIn"`
	MessagesOut        uint64    `json:"messagesOut"`
	SlowClientsDropped uint64    `json:"slowClientsDropped"`
}

// counters are updated where things happen and read without locks.
type counters struct {
	started     time.Time
	open        atomic.Int64
	online      atomic.Int64
	ringing     atomic.Int64
	active      atomic.Int64
	chat        atomic.Uint64
	in          atomic.Uint64
	out         atomic.Uint64
	slowDropped atomic.Uint64
}

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
		ChatMessages:       s.chat.Load(),
		MessagesIn:         s.in.Load(),
		MessagesOut:        s.out.Load(),
		SlowClientsDropped: s.slowDropped.Load(),
	}
}
