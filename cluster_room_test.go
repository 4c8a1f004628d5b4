package main

import (
	"sync"
	"testing"
	"time"

	"callapp/config"
	"callapp/dao"
	"callapp/models"
	"callapp/route/apptest"
)

// TestClusterRoomFull: a room of two whose members are on nodes 1 and 2
// is full for a user of node 3; once a seat is free, that user gets it.
// Two users of two nodes racing for the last seat: one gets it.
func TestClusterRoomFull(t *testing.T) {
	noLeaks(t)
	nodes := startNodes(t, 3, dao.DriverSQLite, apptest.Config(func(c *config.Config) {
		c.WSMessageRate, c.WSMessageBurst = 10000, 10000 // 50 joins and leaves
	}))
	alice, bob, carol := register(t, nodes[0], "alice"), register(t, nodes[1], "bob"), register(t, nodes[2], "carol")
	alice.connect(nodes[0].URL, false)
	bob.connect(nodes[1].URL, false)
	carol.connect(nodes[2].URL, false)
	const room = "meet-up"

	alice.send(models.MethodRoomJoin, 0, models.RoomRef{Room: "Meet-Up"})
	expectJoined(t, alice, room)
	bob.send(models.MethodRoomJoin, 0, models.RoomRef{Room: room})
	expectJoined(t, bob, room, alice)
	expectNewcomer(t, alice, room, bob)
	relayed(t, alice, bob, models.MethodOffer, models.CodeOffer, `{"type":"offer","sdp":"v=0\r\n"}`)

	carol.send(models.MethodRoomJoin, 0, models.RoomRef{Room: room})
	if got := decodeFrame[models.RoomFull](t, carol.expect(models.CodeRoomFull)); got != (models.RoomFull{Room: room, Capacity: 2}) {
		t.Errorf("carol's 10022 = %+v", got)
	}
	carol.send(models.MethodOffer, alice.id, map[string]string{"type": "offer"}) // not a member
	carol.expectError(models.MethodOffer, models.ReasonNotInCall)

	bob.send(models.MethodRoomLeave, 0, models.RoomRef{Room: room})
	bob.expect(models.CodeRoomLeft)
	if got := decodeFrame[models.RoomBye](t, alice.expect(models.CodeRoomBye)); got != (models.RoomBye{Room: room, FromID: bob.id}) {
		t.Errorf("alice's 10024 = %+v", got)
	}

	// The last seat, raced for from nodes 2 and 3, 50 times.
	for round := range 50 {
		var sent sync.WaitGroup
		gate := make(chan struct{})
		for _, u := range []*nodeUser{bob, carol} {
			sent.Go(func() {
				<-gate
				u.send(models.MethodRoomJoin, 0, models.RoomRef{Room: room})
			})
		}
		close(gate)
		sent.Wait()
		in := decodeFrame[models.RoomOtherJoined](t, alice.expect(models.CodeRoomOther))
		winner, loser := bob, carol
		if in.User.ID == carol.id {
			winner, loser = carol, bob
		}
		expectJoined(t, winner, room, alice)
		if got := decodeFrame[models.RoomFull](t, loser.expect(models.CodeRoomFull)); got.Room != room {
			t.Fatalf("round %d: %s's 10022 = %+v", round, loser.name, got)
		}
		winner.send(models.MethodRoomLeave, 0, models.RoomRef{Room: room})
		winner.expect(models.CodeRoomLeft)
		alice.expect(models.CodeRoomBye)
	}
	for _, u := range []*nodeUser{alice, bob, carol} {
		u.quiet(500 * time.Millisecond)
	}
}

// expectJoined takes u's 10020 for room, which must list members.
func expectJoined(t *testing.T, u *nodeUser, room string, members ...*nodeUser) {
	t.Helper()
	got := decodeFrame[models.RoomJoined](t, u.expect(models.CodeRoomJoined))
	ok := got.Room == room && got.Capacity == 2 && len(got.Members) == len(members)
	for i := 0; ok && i < len(members); i++ {
		ok = got.Members[i] == models.UserBrief{ID: members[i].id, Username: members[i].name}
	}
	if !ok {
		t.Fatalf("%s's 10020 = %+v, want %s with %d members", u.name, got, room, len(members))
	}
}

// expectNewcomer takes u's 10021 for who.
func expectNewcomer(t *testing.T, u *nodeUser, room string, who *nodeUser) {
	t.Helper()
	got := decodeFrame[models.RoomOtherJoined](t, u.expect(models.CodeRoomOther))
	if got != (models.RoomOtherJoined{Room: room, User: models.UserBrief{ID: who.id, Username: who.name}}) {
		t.Fatalf("%s's 10021 = %+v, want %s", u.name, got, who.name)
	}
}
