package signal

import (
	"slices"
	"time"

	"callapp/models"
)

// Resume. A connection that goes without the user leaving (a network
// loss, a reload, a server restart) does not end what the user holds: an
// accepted call, a room seat or a broadcast waits ResumeGrace for the user
// to connect again. Media flows peer to peer and does not need the server
// meanwhile, so a blip of the signaling costs the call nothing. The user
// stays online to others, with the same status, while away: coming back
// within the grace shows no flicker. Kicks, logouts and ended sessions
// are final and keep nothing; so is a ringing call, which has no media to
// carry on.

// absence is a user whose connection went while holding a place.
type absence struct {
	user    models.UserBrief
	session uint64 // the session of the connection that went
	conn    string // several nodes: the id of the connection that went, which names the absence
	since   time.Time
	timer   *time.Timer // fires graceOver
}

// holdsPlace reports whether id holds what a resume keeps.
func (h *Hub) holdsPlace(id uint64) bool {
	if cl := h.callOf[id]; cl != nil && cl.accepted {
		return true
	}
	return h.roomOf[id] != nil || h.liveOf[id] != nil
}

// online reports whether id counts as online: connected, or away within
// the grace.
func (h *Hub) online(id uint64) bool {
	return h.clients[id] != nil || h.away[id] != nil
}

// goAway keeps id's place for the grace and tells those who share it
// (10040).
func (h *Hub) goAway(u models.UserBrief, session uint64, conn string, since time.Time) {
	a := &absence{user: u, session: session, conn: conn, since: since}
	h.away[u.ID] = a
	h.armGrace(a)
	h.stats.away.Store(int64(len(h.away)))
	ev := models.PeerAway{FromID: u.ID, GraceSec: h.opts.graceSec()}
	h.tellSharers(u.ID, models.CodePeerAway, ev)
}

// armGrace starts the resume grace of a.
func (h *Hub) armGrace(a *absence) {
	id := a.user.ID
	a.timer = time.AfterFunc(h.opts.ResumeGrace, func() {
		if h.clustered() {
			// Every node's timer fires; the first entry applied acts.
			h.rep.mustAppend(entry{Kind: entryGrace, User: id, Conn: a.conn})
			return
		}
		h.submit(op{do: func() { h.graceOver(id, a) }})
	})
}

// tellSharers sends code with ev, completed with what they share, to the
// users who share a call, a room or a broadcast with id.
func (h *Hub) tellSharers(id uint64, code int, ev models.PeerAway) {
	switch {
	case h.callOf[id] != nil:
		cl := h.callOf[id]
		ev.CallID = cl.id
		h.router.SendToUser(cl.other(id), encode(code, peerMethod(code), ev))
	case h.roomOf[id] != nil:
		rm := h.roomOf[id]
		ev.Room = rm.name
		h.sendRoomExcept(rm, id, encode(code, peerMethod(code), ev))
	case h.liveOf[id] != nil:
		b := h.liveOf[id]
		ev.LiveID = b.id
		msg := encode(code, peerMethod(code), ev)
		for v := range b.viewers {
			h.router.SendToUser(v, msg)
		}
	}
}

// peerMethod is the method 10040 and 10041 carry: the disconnect or the
// connect they report.
func peerMethod(code int) string {
	if code == models.CodePeerAway {
		return models.MethodDisconnect
	}
	return models.MethodConnect
}

// graceOver ends what an absent user held, as a disconnect did before
// there was a grace, and takes the user offline.
func (h *Hub) graceOver(id uint64, a *absence) {
	if h.away[id] != a {
		return // came back, or the hub closed, while the timer fired
	}
	h.touch(id) // offline to others from the next tick
	delete(h.away, id)
	h.stats.away.Store(int64(len(h.away)))
	if cl := h.callOf[id]; cl != nil {
		reason, at := models.CallDisconnected, a.since
		if cl.restored && h.away[cl.other(id)] != nil {
			// Neither party came back after a restart: the call ended
			// when the server that carried it stopped.
			reason, at = models.CallServerRestart, cl.aliveAt
		}
		h.endForAt(cl, id, reason, at)
	}
	h.leaveRoomOf(id)
	h.endLiveOf(id)
}

// settleAway ends the absences match selects at once, as if their grace
// had passed: a session ended while its user was away keeps nothing.
func (h *Hub) settleAway(match func(*absence) bool) {
	for id, a := range h.away {
		if match(a) {
			a.timer.Stop()
			h.graceOver(id, a)
		}
	}
}

// forgetIfIdle takes an away user who holds nothing any more (the other
// party hung up) offline at once, rather than at the end of the grace.
func (h *Hub) forgetIfIdle(id uint64) {
	if a := h.away[id]; a != nil && !h.holdsPlace(id) {
		a.timer.Stop()
		h.graceOver(id, a)
	}
}

// comeBack makes c the connection of a user who held a place: the
// welcome says what it holds, and those who share it hear that it is back
// (10041). Run by register once c is the user's connection and before the
// welcome is queued.
func (h *Hub) comeBack(c *client, w *models.Welcome) {
	id := c.user.ID
	if cl := h.callOf[id]; cl != nil && cl.accepted {
		peer := cl.peerOf(id)
		w.Call = &models.ResumedCall{CallID: cl.id, PeerID: peer.ID, Peer: peer, StartedAt: cl.answeredAt}
		cl.restored = false // someone is back: it is no longer the stopped server's to end
		h.qualityResumed(cl)
		if h.recordsHere(cl.rec) {
			h.rec.push(callEvent{id: cl.id, resumed: true})
		}
	}
	if b := h.liveOf[id]; b != nil {
		info := b.info()
		w.Live = &info
	}
	h.tellSharers(id, models.CodePeerBack, models.PeerAway{FromID: id})
}

// afterComeBack sends what follows the welcome of a user who came back:
// the room as a newcomer sees it, while its members are asked to offer to
// the returner afresh (10021); or, to a broadcaster, one 10032 per viewer.
// Those it shares with who are away themselves are named in a 10040 each:
// the returner missed the one sent when they went.
func (h *Hub) afterComeBack(c *client) {
	id := c.user.ID
	me := brief(c.user)
	grace := h.opts.graceSec()
	if cl := h.callOf[id]; cl != nil && h.away[cl.other(id)] != nil {
		ev := models.PeerAway{CallID: cl.id, FromID: cl.other(id), GraceSec: grace}
		c.enqueue(outgoing{data: encode(models.CodePeerAway, models.MethodDisconnect, ev)})
	}
	if rm := h.roomOf[id]; rm != nil {
		others := slices.DeleteFunc(slices.Clone(rm.members), func(u models.UserBrief) bool { return u.ID == id })
		joined := models.RoomJoined{Room: rm.name, Capacity: h.opts.RoomCapacity, Members: others}
		c.enqueue(outgoing{data: encode(models.CodeRoomJoined, models.MethodRoomJoin, joined)})
		for _, m := range others {
			if h.away[m.ID] != nil {
				ev := models.PeerAway{Room: rm.name, FromID: m.ID, GraceSec: grace}
				c.enqueue(outgoing{data: encode(models.CodePeerAway, models.MethodDisconnect, ev)})
			}
		}
		h.sendRoomExcept(rm, id, encode(models.CodeRoomOther, models.MethodRoomJoin, models.RoomOtherJoined{Room: rm.name, User: me}))
	}
	if b := h.liveOf[id]; b != nil {
		for _, v := range sortedViewers(b) {
			c.enqueue(outgoing{data: encode(models.CodeLiveViewer, models.MethodLiveWatch, models.LiveViewer{LiveID: b.id, FromID: v.ID, User: v})})
		}
	}
}

// RestoredCall is an accepted call a previous run of the server left
// going on: both parties get the grace to come back to it.
type RestoredCall struct {
	ID         string
	Caller     models.UserBrief
	Callee     models.UserBrief
	AnsweredAt time.Time
	AliveAt    time.Time // the last time the previous run knew it going on
	// Quality is what the previous run stored of its Call/Stats, carried
	// on so that the call's summary covers the whole call.
	Quality models.CallQuality
}

// Restore takes over calls a previous run of the server left going on,
// with both parties away for the grace. Call it before serving anyone. It
// returns the calls it could not take: a party already in another one of
// them (records a failed write left open), which the caller closes.
func (h *Hub) Restore(calls []RestoredCall) (refused []RestoredCall) {
	if !h.clustered() {
		h.do(func() { refused = h.restore(calls) })
		return refused
	}
	// Every node takes them over; what this one refused, all did.
	if err := h.appendEntry(entry{Kind: entryRestore, Calls: calls}); err != nil {
		return calls
	}
	h.do(func() {
		for _, rc := range calls {
			if h.calls[rc.ID] == nil {
				refused = append(refused, rc)
			}
		}
	})
	return refused
}

// restore is Restore on the loop.
func (h *Hub) restore(calls []RestoredCall) (refused []RestoredCall) {
	now := time.Now()
	for _, rc := range calls {
		if h.callOf[rc.Caller.ID] != nil || h.callOf[rc.Callee.ID] != nil || rc.Caller.ID == rc.Callee.ID {
			refused = append(refused, rc)
			continue
		}
		cl := &call{
			id: rc.ID, caller: rc.Caller, callee: rc.Callee.ID, calleeName: rc.Callee.Username,
			accepted: true, answeredAt: rc.AnsweredAt, restored: true, aliveAt: rc.AliveAt,
			timer: time.NewTimer(0), rec: h.recNode(),
		}
		cl.timer.Stop()
		h.calls[cl.id] = cl
		h.callOf[rc.Caller.ID], h.callOf[rc.Callee.ID] = cl, cl
		h.stats.active.Add(1)
		if h.recordsHere(cl.rec) {
			h.stats.recorded.Add(1)
		}
		h.seedQuality(cl, rc.Quality)
		for _, u := range []models.UserBrief{rc.Caller, rc.Callee} {
			h.touch(u.ID)
			h.goAway(u, 0, "restored", now)
		}
	}
	return refused
}

// sendRoomExcept sends msg to the members of rm but id.
func (h *Hub) sendRoomExcept(rm *room, id uint64, msg []byte) {
	for _, m := range rm.members {
		if m.ID != id {
			h.router.SendToUser(m.ID, msg)
		}
	}
}

// graceSec is the grace as pages are told it, rounded up.
func (o *Options) graceSec() int {
	return int((o.ResumeGrace + time.Second - 1) / time.Second)
}

// mediaTimeoutSec is the media timeout as pages are told it, rounded up.
func (o *Options) mediaTimeoutSec() int {
	return int((o.MediaTimeout + time.Second - 1) / time.Second)
}
