package signal

import (
	"maps"
	"slices"
	"time"

	"callapp/models"
)

// Presence is coalesced per tick. Telling everyone about every arrival
// at once costs O(N) envelopes per arrival, O(N^2) to fill a server; so
// the loop notes which users changed (touch, before the change) and, one
// tick after the first change, compares each with what everyone was last
// told: one envelope per recipient says it all (10018), or the old
// 10006/10007/10008 when that recipient has a single change to hear. A
// user who came and went within the tick costs nothing.
//
// Every connection's view is therefore "the state as of the last tick"
// (the known state): 10000 lists it too, so that a newcomer and everyone
// else apply the same next batch. Call events that name a user flush
// first (see flushPresenceOf), so no call comes from or goes to a user
// the client has not yet been told is online.

// coalescer is the presence bookkeeping of the loop goroutine.
type coalescer struct {
	pending map[uint64]shown // users changed this tick, as last told
	timer   *time.Timer      // armed while pending is not empty
	snap    *jsonList        // the known state for 10000, built on demand
	snapMsg outgoing         // 10000 with snap, for a user not in it
}

// shown is a user's presence as others see it.
type shown struct {
	username string
	online   bool
	status   string
}

func newCoalescer() coalescer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return coalescer{pending: make(map[uint64]shown), timer: t}
}

// touch notes that user id's presence is about to change. The first
// change of a tick records what everyone was last told and arms the tick.
func (h *Hub) touch(id uint64) {
	p := &h.presence
	if _, ok := p.pending[id]; ok {
		return
	}
	if len(p.pending) == 0 {
		p.timer.Reset(h.presenceTick())
	}
	p.pending[id] = h.shownNow(id)
}

// presenceTick is PresenceTick, stretched so that ticks send at most
// PresenceRate envelopes a second: a tick costs one write per user online,
// so with many online a fixed tick would spend the core on presence alone.
func (h *Hub) presenceTick() time.Duration {
	stretched := time.Duration(float64(len(h.clients)) / h.opts.PresenceRate * float64(time.Second))
	return max(h.opts.PresenceTick, stretched)
}

// shownNow is the user's presence in the hub's state now.
func (h *Hub) shownNow(id uint64) shown {
	var name string
	if c := h.clients[id]; c != nil {
		name = c.user.Username
	} else if a := h.away[id]; a != nil {
		name = a.user.Username
	} else {
		return shown{}
	}
	return shown{username: name, online: true, status: h.statusOf(id)}
}

// flushPresenceOf flushes the tick now if it holds a change of one of
// ids: a call event naming them is about to go out.
func (h *Hub) flushPresenceOf(ids ...uint64) {
	for _, id := range ids {
		if _, ok := h.presence.pending[id]; ok {
			h.flushPresence()
			return
		}
	}
}

// flushPresence sends the tick's changes and makes them the known state.
func (h *Hub) flushPresence() {
	p := &h.presence
	p.timer.Stop()
	if len(p.pending) == 0 {
		return
	}
	b := h.collectPresence()
	clear(p.pending)
	p.snap, p.snapMsg = nil, outgoing{}
	b.deliver(h.router)
}

// collectPresence compares each changed user with what was last told.
func (h *Hub) collectPresence() *presenceBatch {
	b := new(presenceBatch)
	for _, id := range slices.Sorted(maps.Keys(h.presence.pending)) {
		was, now := h.presence.pending[id], h.shownNow(id)
		switch {
		case now.online && !was.online:
			b.addOnline(models.OnlineUser{ID: id, Username: now.username, Status: now.status})
		case was.online && !now.online:
			b.addOffline(id)
		case now.online && now.status != was.status:
			b.addStatus(models.StatusChange{ID: id, Status: now.status})
		}
	}
	return b
}

// onlineSnapshot returns the 10000 envelope for user self: the known
// state, marshaled once per tick for every newcomer who is not in it.
func (h *Hub) onlineSnapshot(self uint64) outgoing {
	p := &h.presence
	if p.snap == nil {
		p.snap = h.knownList()
		p.snapMsg = newOutgoing(snapshotEnvelope(p.snap, 0))
	}
	if p.snap.index(self) < 0 {
		return p.snapMsg
	}
	// A replacement, or back within the tick: a copy for one, not worth
	// compressing.
	return outgoing{data: snapshotEnvelope(p.snap, self)}
}

// knownList lists the known state by id: the users changed this tick as
// they were, everyone else as they are. It sorts ids, not structs: moving
// structs with strings in them costs a write barrier per move, which made
// sorting most of the work at 10,000 users.
func (h *Hub) knownList() *jsonList {
	pending := h.presence.pending
	ids := make([]uint64, 0, len(h.clients)+len(h.away)+len(pending))
	for id := range h.clients {
		ids = append(ids, id)
	}
	for id := range h.away {
		ids = append(ids, id)
	}
	for id, was := range pending {
		if was.online && !h.online(id) {
			ids = append(ids, id) // gone this tick: others still see them
		}
	}
	slices.Sort(ids)
	l := &jsonList{buf: make([]byte, 0, 64*len(ids))}
	for _, id := range ids {
		was, changed := pending[id]
		switch {
		case !changed:
			now := h.shownNow(id)
			l.addUser(models.OnlineUser{ID: id, Username: now.username, Status: now.status})
		case was.online:
			l.addUser(models.OnlineUser{ID: id, Username: was.username, Status: was.status})
		}
	}
	return l
}

func snapshotEnvelope(l *jsonList, skip uint64) []byte {
	b := make([]byte, 0, len(l.buf)+96)
	b = appendHeader(b, models.CodeOnlineUsers, models.MethodConnect)
	b = l.appendArray(b, skip)
	return append(b, '}')
}

// presenceBatch is one tick's changes. Most recipients get the same
// envelope; a user the batch is about gets a copy without their own entry.
type presenceBatch struct {
	online, offline, status jsonList
	onlineUsers             []models.OnlineUser
	offlineIDs              []uint64
	statuses                []models.StatusChange
}

func (b *presenceBatch) addOnline(u models.OnlineUser) {
	b.onlineUsers = append(b.onlineUsers, u)
	b.online.addUser(u)
}

func (b *presenceBatch) addOffline(id uint64) {
	b.offlineIDs = append(b.offlineIDs, id)
	b.offline.addID(id)
}

func (b *presenceBatch) addStatus(s models.StatusChange) {
	b.statuses = append(b.statuses, s)
	b.status.addStatus(s)
}

// deliver sends each recipient its envelope: the users the batch is about
// the shared one without their own entry, everyone else the shared one.
// A user's copy is the shared envelope's bytes on either side of the cut
// (Router.SendSplice), not a copy: during an arrival storm every newcomer
// is in the batch, and copies cost the loop the square of the arrivals.
//
// Each user the batch is about has exactly one entry in it (an arrival or
// a status change), so each hears of one change fewer than the rest.
func (b *presenceBatch) deliver(r Router) {
	shared, base := b.envelope()
	about := slices.Concat(b.online.ids, b.status.ids) // online now: recipients
	slices.Sort(about)
	others := len(b.online.ids) + len(b.offline.ids) + len(b.status.ids) - 1
	for _, id := range about {
		switch {
		case others == 1:
			r.SendToUser(id, b.lone(id))
		case others > 1:
			from, to, ok := b.online.cut(id)
			at := base[0]
			if !ok {
				from, to, _ = b.status.cut(id)
				at = base[2]
			}
			r.SendSplice(id, shared[:at+from], shared[at+to:])
		}
	}
	if shared != nil {
		r.Broadcast(shared, about...)
	}
}

// envelope is what recipients the batch is not about get: nothing, the
// old code for a single change, or 10018. For 10018, base holds where
// the online, offline and status elements begin in it.
func (b *presenceBatch) envelope() (msg []byte, base [3]int) {
	switch len(b.online.ids) + len(b.offline.ids) + len(b.status.ids) {
	case 0:
		return nil, base
	case 1:
		return b.lone(0), base
	}
	size := len(b.online.buf) + len(b.offline.buf) + len(b.status.buf) + 160
	m := appendHeader(make([]byte, 0, size), models.CodePresence, models.MethodStatus)
	for i, part := range []struct {
		key  string
		list *jsonList
	}{{`{"online":[`, &b.online}, {`],"offline":[`, &b.offline}, {`],"status":[`, &b.status}} {
		m = append(m, part.key...)
		base[i] = len(m)
		m = append(m, part.list.buf...)
	}
	return append(m, "]}}"...), base
}

// lone encodes the one change not about skip with its own code.
func (b *presenceBatch) lone(skip uint64) []byte {
	for _, u := range b.onlineUsers {
		if u.ID != skip {
			return encode(models.CodeUserOnline, models.MethodConnect, u)
		}
	}
	for _, id := range b.offlineIDs {
		if id != skip {
			return encode(models.CodeUserOffline, models.MethodDisconnect, models.UserOffline{FromID: id})
		}
	}
	for _, s := range b.statuses {
		if s.ID != skip {
			return encode(models.CodeUserStatus, models.MethodStatus, s)
		}
	}
	return nil
}
