package signal

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"time"

	"callapp/models"
)

// call is a 1:1 call's server-side state: ringing until accepted, then
// accepted until it ends, when it is removed. Only the loop touches it.
type call struct {
	id         string
	caller     models.UserBrief
	callee     uint64
	calleeName string
	accepted   bool
	answeredAt time.Time
	timer      *time.Timer // the ring timeout, stopped at accept or end
	rec        string      // several nodes: the node that records it (replica.go)

	// restored: taken over from a previous run of the server (Restore),
	// which knew it going on at aliveAt.
	restored bool
	aliveAt  time.Time
}

// other returns the party who is not id.
func (cl *call) other(id uint64) uint64 {
	if id == cl.caller.ID {
		return cl.callee
	}
	return cl.caller.ID
}

// peerOf returns the party who is not id.
func (cl *call) peerOf(id uint64) models.UserBrief {
	if id == cl.caller.ID {
		return models.UserBrief{ID: cl.callee, Username: cl.calleeName}
	}
	return cl.caller
}

// invite handles Call/Invite. Invites that cannot ring fail at once with
// 10016 and leave no record.
func (h *Hub) invite(c *client, r *request) error {
	from, to := c.user.ID, r.ToID
	if err := h.engaged(from); err != nil {
		return err
	}
	if reason := h.unreachable(from, to); reason != "" {
		failed := encode(models.CodeCallFailed, models.MethodInvite, models.CallTargetEvent{ToID: to, Reason: reason})
		c.enqueue(outgoing{data: failed})
		return nil
	}
	cl := h.ring(models.UserBrief{ID: from, Username: c.user.Username}, to)
	// Neither side may hear of the call before hearing the other is online.
	h.flushPresenceOf(from, to)
	incoming := models.IncomingCall{CallID: cl.id, FromID: from, User: cl.caller}
	h.router.SendToUser(to, encode(models.CodeIncomingCall, models.MethodInvite, incoming))
	ringing := encode(models.CodeCallRinging, models.MethodInvite, models.CallTargetEvent{CallID: cl.id, ToID: to})
	c.enqueue(outgoing{data: ringing})
	return nil
}

// unreachable says why an invite cannot ring, or "".
func (h *Hub) unreachable(from, to uint64) string {
	switch {
	case from == to:
		return models.CallSelf
	case !h.online(to):
		return models.CallOffline
	case h.callOf[to] != nil, h.roomOf[to] != nil, h.liveOf[to] != nil, h.watching[to] != nil:
		return models.CallBusy
	}
	return ""
}

// ring creates the call, records it and starts its timeout.
func (h *Hub) ring(caller models.UserBrief, to uint64) *call {
	cl := &call{id: h.newEntityID(), caller: caller, callee: to, calleeName: h.clients[to].user.Username, rec: h.recNode()}
	h.calls[cl.id] = cl
	h.callOf[caller.ID], h.callOf[to] = cl, cl
	h.armRing(cl)
	h.stats.ringing.Add(1)
	h.stats.callsRang.Add(1)
	if h.recordsHere(cl.rec) {
		h.stats.recorded.Add(1)
		h.rec.push(callEvent{create: &models.Call{ID: cl.id, CallerID: caller.ID, CalleeID: to, InvitedAt: time.Now()}})
	}
	return cl
}

// armRing starts the ring timeout of cl.
func (h *Hub) armRing(cl *call) {
	cl.timer = time.AfterFunc(h.opts.RingTimeout, func() {
		if h.clustered() {
			// Every node's timer fires; the first entry applied ends the call.
			h.rep.mustAppend(entry{Kind: entryRing, ID: cl.id})
			return
		}
		h.submit(op{do: func() { h.ringTimeout(cl) }})
	})
}

// heartbeat records the calls going on as alive now, so that a crash
// costs them at most a heartbeat of their recorded duration.
func (h *Hub) heartbeat(now time.Time) {
	if len(h.calls) == 0 {
		return
	}
	ids := make([]string, 0, len(h.calls))
	for id, cl := range h.calls {
		if h.away[cl.caller.ID] != nil && h.away[cl.callee] != nil {
			continue // nobody is there to say it goes on
		}
		if !h.recordsHere(cl.rec) {
			continue
		}
		ids = append(ids, id)
	}
	h.rec.alive(ids, now)
}

// newCallID returns 128 random bits in hex: unguessable, so that only the
// two parties can name the call.
func newCallID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	return hex.EncodeToString(b[:])
}

// accept handles Call/Accept from the callee of a ringing call.
func (h *Hub) accept(c *client, r *request) error {
	cl, err := h.callFor(c.user.ID, r)
	if err != nil {
		return err
	}
	if cl.accepted || cl.callee != c.user.ID {
		return errUnknownCall
	}
	h.touch(cl.caller.ID) // both show in_call from now
	h.touch(cl.callee)
	cl.accepted, cl.answeredAt = true, time.Now()
	cl.timer.Stop()
	h.stats.ringing.Add(-1)
	h.stats.active.Add(1)
	if h.recordsHere(cl.rec) {
		h.rec.push(callEvent{id: cl.id, at: cl.answeredAt, answered: true})
	}
	ev := models.CallPeerEvent{CallID: cl.id, FromID: cl.callee}
	h.router.SendToUser(cl.caller.ID, encode(models.CodeCallAccepted, models.MethodAccept, ev))
	return nil
}

// reject handles Call/Reject from the callee of a ringing call.
func (h *Hub) reject(c *client, r *request) error {
	cl, err := h.callFor(c.user.ID, r)
	if err != nil {
		return err
	}
	if cl.accepted || cl.callee != c.user.ID {
		return errUnknownCall
	}
	h.refuseCall(cl)
	return nil
}

// hangup handles Call/Hangup from either party: the caller cancels a
// ringing call, the callee rejects it, and either ends an accepted one,
// with the reason its page gave (media_failed) or hangup.
func (h *Hub) hangup(c *client, r *request) error {
	if r.reason != "" && r.reason != models.CallMediaFailed {
		return errBadReason
	}
	cl, err := h.callFor(c.user.ID, r)
	if err != nil {
		return err
	}
	me := c.user.ID
	switch {
	case cl.accepted:
		h.endFor(cl, me, cmp.Or(r.reason, models.CallHangup))
	case me == cl.caller.ID:
		h.endFor(cl, me, models.CallCancelled)
	default:
		h.refuseCall(cl)
	}
	return nil
}

// callFor finds the request's call, which must be the sender's and name
// the other party as toId.
func (h *Hub) callFor(me uint64, r *request) (*call, error) {
	cl := h.calls[r.callID]
	if cl == nil || h.callOf[me] != cl || cl.other(me) != r.ToID {
		return nil, errUnknownCall
	}
	return cl, nil
}

// refuseCall ends a ringing call the callee turned down (10014).
func (h *Hub) refuseCall(cl *call) {
	h.finish(cl, models.CallRejected)
	ev := models.CallPeerEvent{CallID: cl.id, FromID: cl.callee, Reason: models.CallRejected}
	h.router.SendToUser(cl.caller.ID, encode(models.CodeCallRejected, models.MethodReject, ev))
}

// endCallOf ends the user's call, if any, as for a disconnect.
func (h *Hub) endCallOf(id uint64, reason string) {
	if cl := h.callOf[id]; cl != nil {
		h.endFor(cl, id, reason)
	}
}

// endFor ends a call because of party by, telling the other one (10015).
func (h *Hub) endFor(cl *call, by uint64, reason string) {
	h.endForAt(cl, by, reason, time.Now())
}

// endForAt is endFor for a call that ended at at: when a party who never
// came back went away.
func (h *Hub) endForAt(cl *call, by uint64, reason string, at time.Time) {
	h.finishAt(cl, reason, at)
	ev := models.CallPeerEvent{CallID: cl.id, FromID: by, Reason: reason}
	h.router.SendToUser(cl.other(by), encode(models.CodeCallEnded, models.MethodHangup, ev))
}

// shareCall reports whether users a and b are the two parties of a call.
func (h *Hub) shareCall(a, b uint64) bool {
	cl := h.callOf[a]
	return cl != nil && cl.other(a) == b
}

// ringTimeout ends a call still ringing when its timer fires: the caller
// gets 10016 timeout, the callee 10015 timeout.
func (h *Hub) ringTimeout(cl *call) {
	if h.calls[cl.id] != cl || cl.accepted {
		return // answered or ended while the timer was firing
	}
	h.finish(cl, models.CallTimeout)
	failed := models.CallTargetEvent{CallID: cl.id, ToID: cl.callee, Reason: models.CallTimeout}
	h.router.SendToUser(cl.caller.ID, encode(models.CodeCallFailed, models.MethodInvite, failed))
	ended := models.CallPeerEvent{CallID: cl.id, FromID: cl.caller.ID, Reason: models.CallTimeout}
	h.router.SendToUser(cl.callee, encode(models.CodeCallEnded, models.MethodHangup, ended))
}

// finish removes a call from the state and records its end. The parties
// of an accepted call show online again from the next tick.
func (h *Hub) finish(cl *call, reason string) {
	h.finishAt(cl, reason, time.Now())
}

// finishAt is finish for a call that ended at at.
func (h *Hub) finishAt(cl *call, reason string, at time.Time) {
	if cl.accepted {
		h.touch(cl.caller.ID)
		h.touch(cl.callee)
	}
	h.qualityEnded(cl)
	delete(h.calls, cl.id)
	delete(h.callOf, cl.caller.ID)
	delete(h.callOf, cl.callee)
	cl.timer.Stop()
	if cl.accepted {
		h.stats.active.Add(-1)
	} else {
		h.stats.ringing.Add(-1)
	}
	h.stats.callsEnded.add(reason)
	if h.recordsHere(cl.rec) {
		h.stats.recorded.Add(-1)
		h.rec.push(callEvent{id: cl.id, at: at, reason: reason})
	}
	h.forgetIfIdle(cl.caller.ID)
	h.forgetIfIdle(cl.callee)
}

// relay returns the handler for Offer, Answer and Candidate: passed on
// only between the two parties of a ringing or accepted call, two members
// of one room, or a broadcaster and one of its viewers, with the sender's
// id from the session and data untouched.
func relay(code int) loopHandler {
	return func(h *Hub, c *client, r *request) error {
		if !h.mayRelay(c.user.ID, r.ToID) {
			return errNotInCall
		}
		if to := h.clients[r.ToID]; to != nil && to.node != "" {
			h.relayTo(to, c.user.ID, encodeRelay(code, r.Method, c.user.ID, r.Data))
		} else {
			h.router.SendToUser(r.ToID, encodeRelay(code, r.Method, c.user.ID, r.Data))
		}
		if h.opts.ObserveRelay != nil {
			h.opts.ObserveRelay(time.Since(r.readAt))
		}
		return nil
	}
}

// mayRelay reports whether from may send media signaling to to.
func (h *Hub) mayRelay(from, to uint64) bool {
	return h.shareCall(from, to) || h.shareRoom(from, to) || h.sameLive(from, to)
}
