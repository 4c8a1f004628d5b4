package signal

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"callapp/models"
)

// callFuzz is one run of FuzzCallStateMachine: the hub, its users as their
// pages see them, and what went wrong.
type callFuzz struct {
	t      *testing.T
	h      *Hub
	store  *recordingStore
	users  []*fuzzUser
	live   map[string]*call    // the hub's calls after the last step
	callOf map[uint64]*call    // and each user's call
	roomOf map[uint64]roomView // and each user's room, as its page should see it
	ended  []*call             // calls that ended, oldest first
	rang   []string            // ids of the calls pages heard ring (10017)
	faults []string            // broken rules seen on the loop, by the router
}

// fuzzUser is a user and the call and room its page believes it is in.
type fuzzUser struct {
	id   uint64
	conn *client // nil: offline
	old  *client // the connection before, replaced, disconnected or kicked
	view callView
	room roomView
}

// roomView is a room as one member knows it: its name and the others.
type roomView struct {
	name   string
	others map[uint64]bool
}

// callView is a call as one party knows it.
type callView struct {
	id       string
	peer     uint64
	accepted bool
}

// event is the part of an envelope the views follow.
type event struct {
	Code int
	Data eventData
}

// eventData holds the fields of the call and room events and of 10001.
type eventData struct {
	CallID  string             `json:"callId"`
	FromID  uint64             `json:"fromId"`
	ToID    uint64             `json:"toId"`
	Method  string             `json:"method"`
	Room    string             `json:"room"`
	User    models.UserBrief   `json:"user"`
	Members []models.UserBrief `json:"members"`
}

// parseEvent reads an envelope the hub queued, which must be JSON.
func parseEvent(msg []byte) (event, error) {
	var env struct {
		Code int             `json:"code"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(msg, &env); err != nil {
		return event{}, err
	}
	e := event{Code: env.Code}
	if len(env.Data) > 0 && env.Data[0] == '{' {
		if err := json.Unmarshal(env.Data, &e.Data); err != nil {
			return event{}, err
		}
	}
	return e, nil
}

// observe drains every connection's queue into its page's view. The
// actor's own Accept, Reject or Hangup changes its view when the hub did
// not refuse it with a 10001.
func (run *callFuzz) observe(actor *fuzzUser, method, callID string) {
	for _, u := range run.users {
		run.drain(u.old)
		refused := false
		for _, e := range run.drain(u.conn) {
			refused = refused || (e.Code == models.CodeError && e.Data.Method == method)
			run.apply(u, e)
		}
		if u == actor && method != "" && method != models.MethodInvite && !refused {
			run.ownAction(u, method, callID)
		}
	}
}

// apply changes u's view as a page does on receiving e.
func (run *callFuzz) apply(u *fuzzUser, e event) {
	d, v := e.Data, &u.view
	switch e.Code {
	case models.CodeIncomingCall, models.CodeCallRinging:
		run.expect(v.id == "", "user %d told of call %s while in %s", u.id, d.CallID, v.id)
		*v = callView{id: d.CallID, peer: d.FromID + d.ToID}
		if e.Code == models.CodeCallRinging {
			run.rang = append(run.rang, d.CallID)
		}
	case models.CodeCallAccepted:
		run.expect(v.id == d.CallID && !v.accepted, "user %d told call %s was accepted, in %+v", u.id, d.CallID, *v)
		v.accepted = true
	case models.CodeCallRejected, models.CodeCallEnded, models.CodeCallFailed:
		if e.Code == models.CodeCallFailed && d.CallID == "" {
			return // the invite never rang
		}
		run.expect(v.id == d.CallID, "user %d told call %s ended, in %+v", u.id, d.CallID, *v)
		*v = callView{}
	case models.CodeOffer, models.CodeAnswer, models.CodeCandidate:
		run.expect((v.id != "" && v.peer == d.FromID) || u.room.others[d.FromID],
			"user %d got a relay from %d, in %+v and %+v", u.id, d.FromID, *v, u.room)
	default:
		run.applyRoom(u, e)
	}
}

// applyRoom changes u's room view as a page does on a room event.
func (run *callFuzz) applyRoom(u *fuzzUser, e event) {
	d, r := e.Data, &u.room
	switch e.Code {
	case models.CodeRoomJoined:
		run.expect(r.name == "", "user %d joined %s while in %q", u.id, d.Room, r.name)
		*r = roomView{name: d.Room, others: map[uint64]bool{}}
		for _, m := range d.Members {
			r.others[m.ID] = true
		}
	case models.CodeRoomOther:
		run.expect(r.name == d.Room && !r.others[d.User.ID], "user %d told %d joined %s, in %+v", u.id, d.User.ID, d.Room, *r)
		r.others[d.User.ID] = true
	case models.CodeRoomBye:
		run.expect(r.name == d.Room && r.others[d.FromID], "user %d told %d left %s, in %+v", u.id, d.FromID, d.Room, *r)
		delete(r.others, d.FromID)
	case models.CodeRoomLeft:
		run.expect(r.name == d.Room, "user %d left %s, in %+v", u.id, d.Room, *r)
		*r = roomView{}
	}
}

// ownAction is what the page of u knows after the hub took its request.
func (run *callFuzz) ownAction(u *fuzzUser, method, callID string) {
	run.expect(u.view.id == callID, "user %d's %s of %s went through, in %+v", u.id, method, callID, u.view)
	if method == models.MethodAccept {
		u.view.accepted = true
	} else {
		u.view = callView{}
	}
}

// check compares the hub's state with itself and with every page's view.
func (run *callFuzz) check() {
	var faults []string
	run.h.do(func() { faults = run.checkHub() })
	faults = append(append(faults, run.faults...), run.checkViews()...)
	if len(faults) > 0 {
		run.t.Fatalf("after %d calls rang:\n%s", len(run.rang), strings.Join(faults, "\n"))
	}
}

// checkHub runs on the loop: the call maps agree, nobody is in two calls,
// the counters count the calls, and it notes the calls that ended.
func (run *callFuzz) checkHub() []string {
	h, in, faults := run.h, map[uint64]int{}, []string(nil)
	ringing, active := int64(0), int64(0)
	for _, cl := range h.calls {
		for _, id := range []uint64{cl.caller.ID, cl.callee} {
			in[id]++
			if h.callOf[id] != cl {
				faults = append(faults, fmt.Sprintf("user %d is in call %s but callOf has %v", id, cl.id, h.callOf[id]))
			}
		}
		ringing, active = ringing+btoi(!cl.accepted), active+btoi(cl.accepted)
	}
	for id, cl := range h.callOf {
		if h.calls[cl.id] != cl || (cl.caller.ID != id && cl.callee != id) || in[id] != 1 {
			faults = append(faults, fmt.Sprintf("user %d: callOf %s is not one call of theirs (%d calls)", id, cl.id, in[id]))
		}
	}
	if h.stats.ringing.Load() != ringing || h.stats.active.Load() != active {
		faults = append(faults, fmt.Sprintf("counters ringing %d active %d, calls %d and %d",
			h.stats.ringing.Load(), h.stats.active.Load(), ringing, active))
	}
	for id, cl := range run.live {
		if h.calls[id] == nil {
			run.ended = append(run.ended, cl)
		}
	}
	faults = append(faults, run.checkRooms()...)
	for _, u := range run.users {
		if h.clients[u.id] != u.conn {
			faults = append(faults, fmt.Sprintf("user %d: the hub has connection %p, the page %p", u.id, h.clients[u.id], u.conn))
		}
	}
	run.live, run.callOf = maps.Clone(h.calls), maps.Clone(h.callOf)
	run.roomOf = map[uint64]roomView{}
	for id, rm := range h.roomOf {
		v := roomView{name: rm.name, others: map[uint64]bool{}}
		for _, m := range rm.members {
			if m.ID != id {
				v.others[m.ID] = true
			}
		}
		run.roomOf[id] = v
	}
	return faults
}

// checkRooms runs on the loop: the room maps agree, rooms are neither
// empty nor over capacity, members are online and in no call, and the
// counters count the rooms.
func (run *callFuzz) checkRooms() []string {
	h, faults, members := run.h, []string(nil), 0
	for name, rm := range h.rooms {
		if rm.name != name || len(rm.members) == 0 || len(rm.members) > h.opts.RoomCapacity {
			faults = append(faults, fmt.Sprintf("room %q holds %+v", name, rm))
		}
		for _, m := range rm.members {
			if h.roomOf[m.ID] != rm || h.clients[m.ID] == nil || h.callOf[m.ID] != nil {
				faults = append(faults, fmt.Sprintf("member %d of %s: roomOf %v, online %v, call %v", m.ID, name, h.roomOf[m.ID], h.clients[m.ID] != nil, h.callOf[m.ID]))
			}
		}
		members += len(rm.members)
	}
	if members != len(h.roomOf) || h.stats.rooms.Load() != int64(len(h.rooms)) || h.stats.roomMembers.Load() != int64(members) {
		faults = append(faults, fmt.Sprintf("%d members, roomOf %d, counters %d rooms %d members", members, len(h.roomOf), h.stats.rooms.Load(), h.stats.roomMembers.Load()))
	}
	return faults
}

// checkViews: every online page believes what the hub holds, so that both
// parties of a call agree; an offline user is in no call.
func (run *callFuzz) checkViews() []string {
	var faults []string
	for _, u := range run.users {
		want := callView{}
		if cl := run.callOf[u.id]; cl != nil {
			want = callView{id: cl.id, peer: cl.other(u.id), accepted: cl.accepted}
		}
		if u.conn == nil {
			u.view, u.room = callView{}, roomView{} // the page is gone
		}
		if u.view != want {
			faults = append(faults, fmt.Sprintf("user %d believes %+v; the hub has %+v", u.id, u.view, want))
		}
		if r := run.roomOf[u.id]; r.name != u.room.name || !maps.Equal(r.others, u.room.others) {
			faults = append(faults, fmt.Sprintf("user %d believes room %+v; the hub has %+v", u.id, u.room, r))
		}
	}
	return faults
}

// finish closes the hub, which ends the calls left, and checks the
// records: each call that rang was created, answered at most once, and
// ended exactly once, in that order.
func (run *callFuzz) finish() {
	// Accepted calls outlive a graceful stop, open, for the next start.
	var going []string
	run.h.do(func() {
		for id, cl := range run.h.calls {
			if cl.accepted {
				going = append(going, id)
			}
		}
	})
	run.h.Close()
	created := run.store.check(run.t, going)
	slices.Sort(run.rang)
	if !slices.Equal(created, run.rang) {
		run.t.Fatalf("recorded calls %q, pages heard %q ring", created, run.rang)
	}
}

func (run *callFuzz) expect(ok bool, format string, args ...any) {
	if !ok {
		run.t.Fatalf(format, args...)
	}
}

func btoi(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// drain takes what the hub queued for c, as its writer would.
func (run *callFuzz) drain(c *client) []event {
	if c == nil {
		return nil
	}
	var events []event
	for _, msg := range drainRaw(run.t, c) {
		e, err := parseEvent(msg)
		if err != nil {
			run.t.Fatalf("queued for user %d: %s: %v", c.user.ID, msg, err)
		}
		events = append(events, e)
	}
	return events
}

// checkingRouter is the registry, watched: a relay may reach only the
// other party of its sender's call or a member of its room. It runs on
// the loop.
type checkingRouter struct {
	registry
	h   *Hub
	run *callFuzz
}

func (r *checkingRouter) SendToUser(userID uint64, msg []byte) bool {
	if e, err := parseEvent(msg); err == nil && e.Code >= models.CodeCandidate && e.Code <= models.CodeAnswer {
		cl := r.h.callOf[userID]
		if (cl == nil || r.h.callOf[e.Data.FromID] != cl) && !r.h.shareRoom(userID, e.Data.FromID) {
			r.run.faults = append(r.run.faults, fmt.Sprintf("relay from %d to %d outside a call", e.Data.FromID, userID))
		}
	}
	return r.registry.SendToUser(userID, msg)
}

// recordingStore keeps the call records in the order written.
type recordingStore struct {
	nullStore
	mu     sync.Mutex
	writes []string // "create id", "answer id", "end id reason"
}

func newRecordingStore() *recordingStore { return &recordingStore{} }

func (s *recordingStore) add(w string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, w)
}

func (s *recordingStore) CreateCall(_ context.Context, c *models.Call) error {
	s.add("create " + c.ID)
	return nil
}

func (s *recordingStore) MarkCallAnswered(_ context.Context, id string, _ time.Time) error {
	s.add("answer " + id)
	return nil
}

func (s *recordingStore) MarkCallEnded(_ context.Context, id string, _ time.Time, reason string) error {
	s.add("end " + id + " " + reason)
	return nil
}

func (s *recordingStore) MarkCallResumed(context.Context, string) error { return nil }

// check verifies each call's records and returns the created ids, sorted.
// Every call ended but those going on at the stop, which stay answered.
func (s *recordingStore) check(t *testing.T, going []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	state := map[string]string{} // id -> created, answered, ended
	next := map[string][]string{"create": {""}, "answer": {"created"}, "end": {"created", "answered"}}
	to := map[string]string{"create": "created", "answer": "answered", "end": "ended"}
	for _, w := range s.writes {
		kind, id, _ := strings.Cut(w, " ")
		id, _, _ = strings.Cut(id, " ")
		if !slices.Contains(next[kind], state[id]) {
			t.Fatalf("record %q after the call was %q; records:\n%s", w, state[id], strings.Join(s.writes, "\n"))
		}
		state[id] = to[kind]
	}
	created := slices.Sorted(maps.Keys(state))
	for _, id := range created {
		if want := map[bool]string{false: "ended", true: "answered"}[slices.Contains(going, id)]; state[id] != want {
			t.Fatalf("call %s never recorded as ended (%s)", id, state[id])
		}
	}
	return created
}
