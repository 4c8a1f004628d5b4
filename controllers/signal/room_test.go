package signal_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"callapp/models"
)

// joinRoom has p join room and returns its 10020.
func joinRoom(t *testing.T, p *peer, room string) models.RoomJoined {
	t.Helper()
	p.send(models.MethodRoomJoin, 0, models.RoomRef{Room: room})
	return decode[models.RoomJoined](t, p.expect(models.CodeRoomJoined))
}

// expectOther has p receive the 10021 for newcomer in room.
func expectOther(t *testing.T, p *peer, room string, newcomer models.UserBrief) {
	t.Helper()
	got := decode[models.RoomOtherJoined](t, p.expect(models.CodeRoomOther))
	if got != (models.RoomOtherJoined{Room: room, User: newcomer}) {
		t.Fatalf("user %d: 10021 = %+v, want %s %+v", p.id, got, room, newcomer)
	}
}

// expectBye has p receive the 10024 for who leaving room.
func expectBye(t *testing.T, p *peer, room string, who uint64) {
	t.Helper()
	got := decode[models.RoomBye](t, p.expect(models.CodeRoomBye))
	if got != (models.RoomBye{Room: room, FromID: who}) {
		t.Fatalf("user %d: 10024 = %+v, want %s from %d", p.id, got, room, who)
	}
}

var (
	alice = models.UserBrief{ID: 1, Username: "alice"}
	bob   = models.UserBrief{ID: 2, Username: "bob"}
	carol = models.UserBrief{ID: 3, Username: "carol"}
)

func TestRoomJoinedOtherJoinedAndFull(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")

	first := joinRoom(t, a, "Room1")
	if first.Room != "room1" || first.Capacity != 2 || first.Members == nil || len(first.Members) != 0 {
		t.Fatalf("first 10020 = %+v, want room1 of 2 with no members ([] not null)", first)
	}
	second := joinRoom(t, b, "room1") // another spelling, the same room
	if second.Room != "room1" || !slices.Equal(second.Members, []models.UserBrief{alice}) {
		t.Fatalf("second 10020 = %+v, want alice there", second)
	}
	expectOther(t, a, "room1", bob)

	c.send(models.MethodRoomJoin, 0, models.RoomRef{Room: "ROOM1"})
	full := decode[models.RoomFull](t, c.expect(models.CodeRoomFull))
	if full != (models.RoomFull{Room: "room1", Capacity: 2}) {
		t.Errorf("10022 = %+v", full)
	}
	calm(a, 50*time.Millisecond) // nobody joined
	rooms := h.hub.Rooms()
	if len(rooms) != 1 || rooms[0].Name != "room1" || !slices.Equal(rooms[0].Members, []models.UserBrief{alice, bob}) {
		t.Errorf("Rooms() = %+v", rooms)
	}
	if s := h.hub.Stats(); s.Rooms != 1 || s.RoomMembers != 2 {
		t.Errorf("stats rooms %d members %d, want 1 and 2", s.Rooms, s.RoomMembers)
	}
}

func TestRoomOfThreeWithCapacityThree(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.RoomCapacity = 3
	h := start(t, opts)
	a, b, c, d := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol"), h.join(4, "dave")
	joinRoom(t, a, "trio")
	joinRoom(t, b, "trio")
	expectOther(t, a, "trio", bob)
	third := joinRoom(t, c, "trio")
	if third.Capacity != 3 || !slices.Equal(third.Members, []models.UserBrief{alice, bob}) {
		t.Fatalf("third 10020 = %+v", third)
	}
	expectOther(t, a, "trio", carol)
	expectOther(t, b, "trio", carol)
	d.send(models.MethodRoomJoin, 0, models.RoomRef{Room: "trio"})
	if full := decode[models.RoomFull](t, d.expect(models.CodeRoomFull)); full.Capacity != 3 {
		t.Errorf("10022 = %+v", full)
	}
	// The full mesh: the members who were there offer to the newcomer.
	a.send(models.MethodOffer, 3, json.RawMessage(`{"sdp":"a"}`))
	b.send(models.MethodOffer, 3, json.RawMessage(`{"sdp":"b"}`))
	from := []uint64{decode[models.Relay](t, c.expect(models.CodeOffer)).FromID, decode[models.Relay](t, c.expect(models.CodeOffer)).FromID}
	if slices.Sort(from); !slices.Equal(from, []uint64{1, 2}) {
		t.Errorf("offers from %v, want from 1 and 2", from)
	}
}

func TestRoomLeaveAndBye(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b := h.join(1, "alice"), h.join(2, "bob")
	joinRoom(t, a, "r")
	joinRoom(t, b, "r")
	expectOther(t, a, "r", bob)

	b.send(models.MethodRoomLeave, 0, models.RoomRef{Room: "R"})
	if left := decode[models.RoomRef](t, b.expect(models.CodeRoomLeft)); left.Room != "r" {
		t.Errorf("10023 = %+v", left)
	}
	expectBye(t, a, "r", 2)
	b.send(models.MethodRoomLeave, 0, models.RoomRef{Room: "r"})
	b.expectError(models.MethodRoomLeave, models.ReasonNotInRoom)
	b.send(models.MethodRoomMsg, 0, models.RoomMessageIn{Room: "r", Message: "hi"})
	b.expectError(models.MethodRoomMsg, models.ReasonNotInRoom)

	// The room waits for someone else; the last to leave ends it.
	if again := joinRoom(t, b, "r"); !slices.Equal(again.Members, []models.UserBrief{alice}) {
		t.Errorf("10020 on rejoining = %+v", again)
	}
	expectOther(t, a, "r", bob)
	b.send(models.MethodRoomLeave, 0, models.RoomRef{Room: "r"})
	b.expect(models.CodeRoomLeft)
	expectBye(t, a, "r", 2)
	a.send(models.MethodRoomLeave, 0, models.RoomRef{Room: "r"})
	a.expect(models.CodeRoomLeft)
	if rooms, s := h.hub.Rooms(), h.hub.Stats(); len(rooms) != 0 || s.Rooms != 0 || s.RoomMembers != 0 {
		t.Errorf("after everyone left: %+v, stats %d rooms %d members", rooms, s.Rooms, s.RoomMembers)
	}
}

func TestLeaveARoomYouAreNotIn(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b := h.join(1, "alice"), h.join(2, "bob")
	a.send(models.MethodRoomLeave, 0, models.RoomRef{Room: "nowhere"})
	a.expectError(models.MethodRoomLeave, models.ReasonNotInRoom)
	joinRoom(t, b, "there")
	joinRoom(t, a, "here")
	a.send(models.MethodRoomLeave, 0, models.RoomRef{Room: "there"}) // b's room, not a's
	a.expectError(models.MethodRoomLeave, models.ReasonNotInRoom)
	calm(b, 50*time.Millisecond)
}

func TestRoomMemberDisconnectReplacementAndKickSayBye(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.RoomCapacity = 4
	h := start(t, opts)
	a, b, c, d := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol"), h.join(4, "dave")
	joinRoom(t, a, "r")
	for _, p := range []*peer{b, c, d} {
		joinRoom(t, p, "r")
		expectOther(t, a, "r", models.UserBrief{ID: p.id, Username: map[uint64]string{2: "bob", 3: "carol", 4: "dave"}[p.id]})
	}
	b.conn.Close() // a disconnect: the seat waits for the grace, then goes
	expectAway(t, a, models.PeerAway{Room: "r", FromID: 2, GraceSec: 1})
	expectBye(t, a, "r", 2)
	h.connect(3, "carol") // a new tab: the old one's seat is given up
	expectBye(t, a, "r", 3)
	h.hub.Kick(4, "account disabled")
	expectBye(t, a, "r", 4)
	if rooms := h.hub.Rooms(); len(rooms) != 1 || !slices.Equal(rooms[0].Members, []models.UserBrief{alice}) {
		t.Errorf("Rooms() = %+v, want alice alone", rooms)
	}
	c.closed()
	d.closed()
}

func TestRelaysBetweenRoomMembersOnly(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	joinRoom(t, a, "r")
	joinRoom(t, b, "r")
	expectOther(t, a, "r", bob)
	joinRoom(t, c, "elsewhere")

	for _, m := range []struct {
		method string
		code   int
	}{{models.MethodOffer, models.CodeOffer}, {models.MethodAnswer, models.CodeAnswer}, {models.MethodCandidate, models.CodeCandidate}} {
		a.send(m.method, 2, json.RawMessage(`{"x":1}`))
		if r := decode[models.Relay](t, b.expect(m.code)); r.FromID != 1 || string(r.Data) != `{"x":1}` {
			t.Errorf("%s relayed as %+v", m.method, r)
		}
		b.send(m.method, 1, json.RawMessage(`{"y":2}`))
		a.expect(m.code)
		a.send(m.method, 3, json.RawMessage(`{}`)) // to a non-member
		a.expectError(m.method, models.ReasonNotInCall)
		c.send(m.method, 1, json.RawMessage(`{}`)) // into a room it is not in
		c.expectError(m.method, models.ReasonNotInCall)
	}
	a.send(models.MethodOffer, 1, json.RawMessage(`{}`)) // to oneself
	a.expectError(models.MethodOffer, models.ReasonNotInCall)
	calm(b, 50*time.Millisecond)
	calm(c, 0)
}

func TestRoomMemberIsInRoomAndBusy(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	joinRoom(t, a, "r")
	expectStatuses(t, b, map[uint64]string{1: models.StatusInRoom})
	expectStatuses(t, c, map[uint64]string{1: models.StatusInRoom})
	if u := h.hub.Online(); u[0].Status != models.StatusInRoom {
		t.Errorf("Online() = %+v", u)
	}

	b.send(models.MethodInvite, 1, nil)
	failed := decode[models.CallTargetEvent](t, b.expect(models.CodeCallFailed))
	if failed != (models.CallTargetEvent{ToID: 1, Reason: models.CallBusy}) {
		t.Errorf("10016 = %+v, want busy", failed)
	}
	a.send(models.MethodInvite, 3, nil)
	a.expectError(models.MethodInvite, models.ReasonAlreadyInRoom)
	calm(c, 50*time.Millisecond) // no 10012

	a.send(models.MethodRoomLeave, 0, models.RoomRef{Room: "r"})
	a.expect(models.CodeRoomLeft)
	expectStatuses(t, b, map[uint64]string{1: models.StatusOnline})
}

func TestJoinWhileInACallOrARoomRefused(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	a.send(models.MethodInvite, 2, nil) // ringing is already a call
	a.waitFor(models.CodeCallRinging)
	b.waitFor(models.CodeIncomingCall)
	for _, p := range []*peer{a, b} {
		p.send(models.MethodRoomJoin, 0, models.RoomRef{Room: "r"})
		p.expectError(models.MethodRoomJoin, models.ReasonAlreadyInCall)
	}
	joinRoom(t, c, "r")
	c.send(models.MethodRoomJoin, 0, models.RoomRef{Room: "r"})
	c.expectError(models.MethodRoomJoin, models.ReasonAlreadyInRoom)
	c.send(models.MethodRoomJoin, 0, models.RoomRef{Room: "other"})
	c.expectError(models.MethodRoomJoin, models.ReasonAlreadyInRoom)
	if rooms := h.hub.Rooms(); len(rooms) != 1 || len(rooms[0].Members) != 1 {
		t.Errorf("Rooms() = %+v", rooms)
	}
}

func TestBadRoomNamesRefused(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a := h.join(1, "alice")
	for _, name := range []string{"", strings.Repeat("a", models.RoomNameMax+1), "my room", "../x", "é"} {
		for _, method := range []string{models.MethodRoomJoin, models.MethodRoomLeave, models.MethodRoomMsg} {
			a.send(method, 0, models.RoomMessageIn{Room: name, Message: "hi"})
			a.expectError(method, models.ReasonBadRoom)
		}
	}
	a.send(models.MethodRoomJoin, 0, nil)
	a.expectError(models.MethodRoomJoin, models.ReasonMissingField)
	a.send(models.MethodRoomJoin, 0, json.RawMessage(`"room1"`))
	a.expectError(models.MethodRoomJoin, models.ReasonBadJSON)
	joinRoom(t, a, strings.Repeat("a", models.RoomNameMax)) // the longest name is fine
	if s := h.hub.Counters().Errors; s[models.ReasonBadRoom] != 15 {
		t.Errorf("bad_room counted %d times, want 15", s[models.ReasonBadRoom])
	}
}

func TestRoomMessageToMembersOnly(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.RoomCapacity = 3
	h := start(t, opts)
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	joinRoom(t, a, "r")
	joinRoom(t, b, "r")
	expectOther(t, a, "r", bob)

	before := time.Now().Add(-time.Second)
	a.send(models.MethodRoomMsg, 0, models.RoomMessageIn{Room: "R", Message: "  hello <b>room</b>\n"})
	for _, p := range []*peer{a, b} {
		env := p.expect(models.CodeRoomMessage)
		m := decode[models.RoomMessage](t, env)
		if m.Room != "r" || m.FromID != 1 || m.Username != "alice" || m.Message != "hello <b>room</b>" || m.CreatedAt.Before(before) || env.Method != models.MethodRoomMsg {
			t.Errorf("user %d: 10025 %s", p.id, env.raw)
		}
	}
	calm(c, 50*time.Millisecond)
	for text, reason := range map[string]string{
		" \u200b ": models.ReasonEmpty, "a\x1bb": models.ReasonControlChar,
		strings.Repeat("x", models.ChatMaxRunes+1): models.ReasonTooLong,
	} {
		a.send(models.MethodRoomMsg, 0, models.RoomMessageIn{Room: "r", Message: text})
		a.expectError(models.MethodRoomMsg, reason)
	}
	calm(b, 50*time.Millisecond)
	if n := h.hub.Stats().ChatMessages; n != 0 {
		t.Errorf("room messages stored as chat: %d", n)
	}
}

func TestRoomMessagesRateLimitedAsChat(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.ChatRate, opts.ChatBurst = 0.001, 2
	h := start(t, opts)
	a := h.join(1, "alice")
	joinRoom(t, a, "r")
	a.chat("one") // group chat and room messages share the bucket
	a.expect(models.CodeChat)
	a.send(models.MethodRoomMsg, 0, models.RoomMessageIn{Room: "r", Message: "two"})
	a.expect(models.CodeRoomMessage)
	a.send(models.MethodRoomMsg, 0, models.RoomMessageIn{Room: "r", Message: "three"})
	a.expectError(models.MethodRoomMsg, models.ReasonRateLimited)
}

func TestShutdownForgetsRooms(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a := h.join(1, "alice")
	joinRoom(t, a, "r")
	h.hub.Close()
	expectClose(t, a, models.CloseServiceRestart, "server restarting")
	if s := h.hub.Stats(); s.Rooms != 0 || s.RoomMembers != 0 || len(h.hub.Rooms()) != 0 {
		t.Errorf("after Close: stats %+v, rooms %+v", s, h.hub.Rooms())
	}
}

// expectAway takes the next envelope, which must be 10040 with want.
func expectAway(t *testing.T, p *peer, want models.PeerAway) {
	t.Helper()
	if got := decode[models.PeerAway](t, p.expect(models.CodePeerAway)); got != want {
		t.Fatalf("user %d: 10040 = %+v, want %+v", p.id, got, want)
	}
}
