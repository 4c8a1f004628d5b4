package signal

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"callapp/models"
)

// A snapshot is the replicated state at a position of the log, for a node
// that joins after the entries before it were trimmed away: it loads the
// snapshot and applies the entries that follow. It holds what decisions
// depend on; what each node keeps for itself (its sockets, the quality
// samples of the calls it records, the pace of 10030) is not in it.
type snapshot struct {
	Clients []snapClient            `json:"clients"`
	Away    []snapAway              `json:"away"`
	Calls   []snapCall              `json:"calls"`
	Rooms   []snapRoom              `json:"rooms"`
	Lives   []snapLive              `json:"lives"`
	Gone    []string                `json:"gone"`
	Live    []string                `json:"live"`
	Ended   map[string][]snapEnding `json:"ended"` // "sessions", "users"
}

type snapClient struct {
	User    models.UserView `json:"user"`
	Session uint64          `json:"session"`
	Conn    string          `json:"conn"`
	Node    string          `json:"node"`
}

type snapAway struct {
	User    models.UserBrief `json:"user"`
	Session uint64           `json:"session"`
	Conn    string           `json:"conn"`
	Since   time.Time        `json:"since"`
}

type snapCall struct {
	ID         string           `json:"id"`
	Caller     models.UserBrief `json:"caller"`
	Callee     models.UserBrief `json:"callee"`
	Accepted   bool             `json:"accepted"`
	AnsweredAt time.Time        `json:"answeredAt"`
	Rec        string           `json:"rec"`
	Restored   bool             `json:"restored"`
	AliveAt    time.Time        `json:"aliveAt"`
}

type snapRoom struct {
	Name    string             `json:"name"`
	Members []models.UserBrief `json:"members"`
}

type snapLive struct {
	ID      string             `json:"id"`
	Owner   models.UserBrief   `json:"owner"`
	Title   string             `json:"title"`
	Viewers []models.UserBrief `json:"viewers"`
}

type snapEnding struct {
	ID     uint64    `json:"id"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
	Keep   uint64    `json:"keep"`
}

// Snapshot implements Inbound: the state as of the last entry applied.
func (in inbound) Snapshot() (Pos, []byte) {
	h := in.h
	var at Pos
	var data []byte
	h.do(func() {
		h.rep.mu.Lock()
		at = h.rep.applied
		h.rep.mu.Unlock()
		data = h.snapshot()
	})
	return at, data
}

// Load implements Inbound: a node that has applied nothing yet starts
// from a snapshot taken at at.
func (in inbound) Load(at Pos, data []byte) error {
	h := in.h
	var s snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("signal: snapshot: %w", err)
	}
	var err error
	h.do(func() {
		if len(h.clients) > 0 || len(h.calls) > 0 || len(h.rooms) > 0 || len(h.lives) > 0 {
			err = fmt.Errorf("signal: a snapshot loads into an empty hub only")
			return
		}
		h.load(&s)
		h.setApplied(at)
	})
	return err
}

// snapshot marshals the replicated state. Loop only.
func (h *Hub) snapshot() []byte {
	var s snapshot
	for _, c := range h.clients {
		s.Clients = append(s.Clients, snapClient{User: c.user, Session: c.session, Conn: c.id, Node: h.nodeOf(c)})
	}
	for _, a := range h.away {
		s.Away = append(s.Away, snapAway{User: a.user, Session: a.session, Conn: a.conn, Since: a.since})
	}
	for _, cl := range h.calls {
		s.Calls = append(s.Calls, snapCall{ID: cl.id, Caller: cl.caller, Callee: models.UserBrief{ID: cl.callee, Username: cl.calleeName},
			Accepted: cl.accepted, AnsweredAt: cl.answeredAt, Rec: cl.rec, Restored: cl.restored, AliveAt: cl.aliveAt})
	}
	for _, rm := range h.rooms {
		s.Rooms = append(s.Rooms, snapRoom{Name: rm.name, Members: rm.members})
	}
	for _, b := range h.lives {
		s.Lives = append(s.Lives, snapLive{ID: b.id, Owner: b.owner, Title: b.title, Viewers: sortedViewers(b)})
	}
	s.Gone = slices.Sorted(maps.Keys(h.rep.gone))
	s.Live = slices.Sorted(maps.Keys(h.rep.live))
	s.Ended = map[string][]snapEnding{"sessions": endingList(h.ended.sessions), "users": endingList(h.ended.users)}
	b, err := json.Marshal(&s)
	if err != nil {
		panic("signal: snapshot: " + err.Error()) // plain fields: cannot fail
	}
	return b
}

func endingList(m map[uint64]ending) []snapEnding {
	list := make([]snapEnding, 0, len(m))
	for id, e := range m {
		list = append(list, snapEnding{ID: id, At: e.at, Reason: e.reason, Keep: e.keep})
	}
	slices.SortFunc(list, func(a, b snapEnding) int { return cmp.Compare(a.ID, b.ID) })
	return list
}

// load builds the state of a snapshot in an empty hub. Every connection
// in it is another node's: this one has served nobody yet. The timers it
// arms run from now, later than the same timers of the nodes that were
// there, which fire first. Loop only.
func (h *Hub) load(s *snapshot) {
	r := h.rep
	r.gone = make(map[string]struct{}, len(s.Gone))
	for _, n := range s.Gone {
		r.gone[n] = struct{}{}
	}
	r.live = make(map[string]struct{}, len(s.Live))
	for _, n := range s.Live {
		r.live[n] = struct{}{}
	}
	for _, sc := range s.Clients {
		h.clients[sc.User.ID] = &client{hub: h, user: sc.User, session: sc.Session, id: sc.Conn, node: sc.Node}
	}
	for _, sa := range s.Away {
		a := &absence{user: sa.User, session: sa.Session, conn: sa.Conn, since: sa.Since}
		h.away[sa.User.ID] = a
		h.armGrace(a)
	}
	for _, sc := range s.Calls {
		cl := &call{id: sc.ID, caller: sc.Caller, callee: sc.Callee.ID, calleeName: sc.Callee.Username,
			accepted: sc.Accepted, answeredAt: sc.AnsweredAt, rec: sc.Rec, restored: sc.Restored, aliveAt: sc.AliveAt}
		h.calls[cl.id] = cl
		h.callOf[cl.caller.ID], h.callOf[cl.callee] = cl, cl
		if cl.accepted {
			cl.timer = time.NewTimer(0)
			cl.timer.Stop()
			h.stats.active.Add(1)
		} else {
			h.armRing(cl)
			h.stats.ringing.Add(1)
		}
	}
	for _, sr := range s.Rooms {
		rm := &room{name: sr.Name, members: sr.Members}
		h.rooms[rm.name] = rm
		for _, m := range rm.members {
			h.roomOf[m.ID] = rm
		}
		h.stats.rooms.Add(1)
		h.stats.roomMembers.Add(int64(len(rm.members)))
	}
	for _, sl := range s.Lives {
		b := &broadcast{id: sl.ID, owner: sl.Owner, title: sl.Title, viewers: make(map[uint64]models.UserBrief, len(sl.Viewers))}
		for _, v := range sl.Viewers {
			b.viewers[v.ID] = v
			h.watching[v.ID] = b
		}
		h.lives[b.id], h.liveOf[b.owner.ID] = b, b
		h.stats.lives.Add(1)
		h.stats.viewers.Add(int64(len(b.viewers)))
	}
	for _, e := range s.Ended["sessions"] {
		h.ended.sessions[e.ID] = ending{at: e.At, reason: e.Reason, keep: e.Keep}
	}
	for _, e := range s.Ended["users"] {
		h.ended.users[e.ID] = ending{at: e.At, reason: e.Reason, keep: e.Keep}
	}
	h.stats.online.Store(int64(len(h.clients)))
	h.stats.away.Store(int64(len(h.away)))
}
