package signal

import (
	"fmt"
	"testing"
	"time"

	"callapp/models"
)

// FuzzCallStateMachine drives the hub, without sockets, through random
// sequences of invites, accepts, rejects, hangups, relays, ring timeouts,
// disconnects, kicks, reconnects and room joins and leaves of a few users,
// each decoded from two bytes of the input. After every step it checks
// that a user is in at most one call or room, that both parties' views of
// a call and every member's view of a room agree with each other and with
// the hub, that no relay reached anyone outside a call or room with its
// sender; at the end, that every call that rang was recorded as ended
// exactly once.
func FuzzCallStateMachine(f *testing.F) {
	for _, seed := range [][]byte{
		{opInvite, 0x04, opAccept, 0x01, opRelay, 0x04, opHangup, 0x01},                  // 1 calls 2, 2 accepts, 1 relays, 2 hangs up
		{opInvite, 0x04, opReject, 0x01, opRelay, 0x04},                                  // rejected, then a relay outside the call
		{opInvite, 0x04, opTimeout, 0x00, opTimeout, 0xc0, opAccept, 0x01},               // timed out, stale timer, late accept
		{opInvite, 0x04, opAccept, 0x01, opConnect, 0x00, opRelay, 0x24},                 // the caller reconnects mid-call; the old page relays
		{opInvite, 0x04, opInvite, 0x09, opDisconnect, 0x01, opInvite, 0x0a},             // busy, callee leaves, invite after
		{opInvite, 0x00, opInvite, 0x10, opKick, 0x00, opAccept, 0x41},                   // self and offline invites, a kick
		{opInvite, 0x04, opMalformed, 0x01, opMalformed, 0xe1, opHangup, 0x41},           // refused requests, a stale id
		{opJoin, 0x00, opJoin, 0x01, opRelay, 0x04, opJoin, 0x02, opJoin, 0x03},          // a room of three fills; relay inside
		{opJoin, 0x00, opInvite, 0x01, opInvite, 0x00, opJoin, 0x01, opRelay, 0x09},      // busy member, member invites, relay out
		{opJoin, 0x00, opJoin, 0x01, opConnect, 0x01, opDisconnect, 0x00, opLeave, 0x01}, // replaced and gone members
		{opInvite, 0x04, opJoin, 0x00, opJoin, 0x01, opLeave, 0x02, opKick, 0x01},        // ringing joins, leave elsewhere, kick
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		run := newCallFuzz(t)
		for i := 0; i+1 < len(data) && i < 2*maxFuzzSteps; i += 2 {
			run.step(data[i], data[i+1])
			run.check()
		}
		run.finish()
	})
}

// maxFuzzSteps bounds an input's work, so that every input is quick.
const maxFuzzSteps = 64

// fuzzUsers are the users of the call fuzzer, online at the start; user
// fuzzUsers+1 exists only as the target of invites that find no one.
const fuzzUsers = 4

// Operations, the first byte of a step (modulo opCount). The second byte
// holds the actor (bits 0-1), the target (bits 2-4, modulo fuzzUsers+1)
// and a variant (bits 5-7).
const (
	opConnect byte = iota
	opDisconnect
	opInvite
	opAccept
	opReject
	opHangup
	opRelay
	opTimeout
	opKick
	opMalformed
	opJoin  // room "r" + target%2, spelled in upper case by odd variants
	opLeave // the same
	opCount
)

// newCallFuzz starts a hub whose timers never fire by themselves (the
// fuzzer fires the ring timeout) and connects every user.
func newCallFuzz(t *testing.T) *callFuzz {
	store := newRecordingStore()
	o := testOptions()
	o.MessageRate, o.MessageBurst, o.RingTimeout, o.PresenceTick = 1e9, 1e9, time.Hour, time.Hour
	o.RoomCapacity = fuzzUsers - 1 // so that a room can be full
	h := newTestHub(t, o, store)
	run := &callFuzz{t: t, h: h, store: store}
	h.do(func() { h.router = &checkingRouter{registry: h.clients, h: h, run: run} })
	for id := uint64(1); id <= fuzzUsers; id++ {
		run.users = append(run.users, &fuzzUser{id: id})
		run.connect(run.users[id-1])
	}
	return run
}

// step runs one operation and collects what every connection was sent.
func (run *callFuzz) step(opByte, arg byte) {
	u := run.users[arg&3]
	target := uint64(arg>>2&7)%(fuzzUsers+1) + 1
	variant := arg >> 5
	if u.conn == nil && opByte%opCount != opConnect {
		return // an offline user sends nothing
	}
	var method, callID string
	switch opByte % opCount {
	case opConnect:
		run.connect(u)
	case opDisconnect:
		run.disconnect(u)
	case opKick:
		run.h.Kick(u.id, "fuzz")
		u.old, u.conn = u.conn, nil
	case opInvite:
		method = models.MethodInvite
		run.send(u.conn, fmt.Sprintf(`{"method":%q,"toId":%d}`, method, target))
	case opAccept, opReject, opHangup:
		method = map[byte]string{opAccept: models.MethodAccept, opReject: models.MethodReject, opHangup: models.MethodHangup}[opByte%opCount]
		callID = run.callRef(u, method, target, variant)
	case opRelay:
		run.relay(u, target, variant)
	case opTimeout:
		run.timeout(u, variant)
	case opMalformed:
		run.send(u.conn, fmt.Sprintf(malformed[variant], target))
	case opJoin, opLeave:
		method = map[byte]string{opJoin: models.MethodRoomJoin, opLeave: models.MethodRoomLeave}[opByte%opCount]
		room := fmt.Sprintf("%c%d", "rR"[variant%2], target%2)
		run.send(u.conn, fmt.Sprintf(`{"method":%q,"data":{"room":%q}}`, method, room))
	}
	run.observe(u, method, callID)
}

// callRef sends Accept, Reject or Hangup naming the call the sender
// believes it is in (variants 0-3, as a page does), a call that ended
// (4-5), or one that never was (6-7); the first of each pair names the
// peer the sender believes in, the second the target.
func (run *callFuzz) callRef(u *fuzzUser, method string, target uint64, variant byte) string {
	callID, to := u.view.id, target
	switch {
	case variant >= 6:
		callID = "no-such-call"
	case variant >= 4 && len(run.ended) > 0:
		callID = run.ended[len(run.ended)-1].id
	}
	if variant%2 == 0 && u.view.peer != 0 {
		to = u.view.peer
	}
	run.send(u.conn, fmt.Sprintf(`{"method":%q,"toId":%d,"data":{"callId":%q}}`, method, to, callID))
	return callID
}

// relay sends an offer, answer or candidate to the believed peer (even
// variants) or the target; variants 1 and 5 send from the connection the
// user's current one replaced, as a page does that is still closing.
func (run *callFuzz) relay(u *fuzzUser, target uint64, variant byte) {
	methods := []string{models.MethodOffer, models.MethodAnswer, models.MethodCandidate}
	c, to := u.conn, target
	if variant%4 == 1 && u.old != nil {
		c = u.old
	}
	if variant%2 == 0 && u.view.peer != 0 {
		to = u.view.peer
	}
	run.send(c, fmt.Sprintf(`{"method":%q,"toId":%d,"data":{"sdp":"v=0"}}`, methods[int(variant)%3], to))
}

// timeout fires the ring timer of the user's call (variants 0-5) or, late,
// of a call that has ended (6-7).
func (run *callFuzz) timeout(u *fuzzUser, variant byte) {
	run.h.do(func() {
		cl := run.h.callOf[u.id]
		if variant >= 6 && len(run.ended) > 0 {
			cl = run.ended[len(run.ended)-1]
		}
		if cl != nil {
			run.h.ringTimeout(cl)
		}
	})
}

// malformed are requests the hub must refuse without a change of state;
// %d is the target.
var malformed = [8]string{
	`{"method":"Call/Accept","toId":%d}`,
	`{"method":"Call/Hangup","toId":%d,"data":{"callId":7}}`,
	`{"method":"Call/Invite","toId":0,"x":%d}`,
	`{"method":"Message/Offer","toId":%d}`,
	`{"method":"Call/Reject","toId":%d,"data":null}`,
	`{"method":"Call/Hangup","toId":%d,"data":{"callId":""}}`,
	`{"method":"User/Connect","toId":%d}`,
	`not json %d`,
}

// connect registers a new connection for u, replacing the one it has.
func (run *callFuzz) connect(u *fuzzUser) {
	c := benchClient(run.h, u.id)
	run.h.do(func() {
		run.h.attach(c, time.Now())
		run.h.register(c, models.Welcome{}, encode(models.CodeWelcome, models.MethodConnect, nil), false)
	})
	if u.conn != nil {
		u.old = u.conn
	}
	u.conn, u.view, u.room = c, callView{}, roomView{}
}

// disconnect ends u's connection as its reader does when the socket
// closes, and lets the resume grace pass at once: a user who comes back
// within it is tested over sockets (resume_test.go).
func (run *callFuzz) disconnect(u *fuzzUser) {
	c := u.conn
	c.stop(models.CloseNormal, "")
	run.h.do(func() {
		run.h.leave(c)
		run.h.detach(c)
		if a := run.h.away[u.id]; a != nil {
			run.h.graceOver(u.id, a)
		}
	})
	u.old, u.conn = c, nil
}

// send hands raw to the hub as c's reader would and waits until the loop
// has run it.
func (run *callFuzz) send(c *client, raw string) {
	run.h.dispatch(c, []byte(raw), time.Now())
	run.h.do(func() {})
}
