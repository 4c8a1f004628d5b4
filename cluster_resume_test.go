package main

import (
	"testing"
	"time"

	"callapp/dao"
	"callapp/models"
)

// TestClusterReplaceOnAnotherNode: a user whose page reconnects to
// another node with resume while its old socket is still open replaces
// it (10003, close 4002 on the old node), keeps its call, and nobody sees
// it go offline.
func TestClusterReplaceOnAnotherNode(t *testing.T) {
	noLeaks(t)
	nodes := startNodes(t, 3, dao.DriverSQLite)
	alice, bob, carol := register(t, nodes[0], "alice"), register(t, nodes[1], "bob"), register(t, nodes[2], "carol")
	carol.connect(nodes[2].URL, false)
	alice.connect(nodes[0].URL, false)
	bob.connect(nodes[1].URL, false)
	callID := answerCall(t, alice, bob)
	carol.waitStatus(alice.id, models.StatusInCall)
	carol.waitStatus(bob.id, models.StatusInCall)

	moved := alice.tab()
	extra := moved.connect(nodes[1].URL, true) // bob's node
	if len(extra) != 0 {
		t.Errorf("alice's new socket got %+v besides the welcome", extra)
	}
	if c := moved.welcome.Call; c == nil || c.CallID != callID || c.PeerID != bob.id || c.Peer != (models.UserBrief{ID: bob.id, Username: "bob"}) {
		t.Fatalf("welcome call = %+v, want %s with bob", c, callID)
	}
	alice.expect(models.CodeReplaced)
	if code := alice.closeCode(); code != models.CloseReplaced {
		t.Errorf("old socket closed %d, want %d", code, models.CloseReplaced)
	}
	if got := decodeFrame[models.PeerAway](t, bob.expect(models.CodePeerBack)); got != (models.PeerAway{CallID: callID, FromID: alice.id}) {
		t.Errorf("bob's 10041 = %+v", got)
	}
	relayed(t, moved, bob, models.MethodOffer, models.CodeOffer, `{"type":"offer","iceRestart":true}`)
	relayed(t, bob, moved, models.MethodAnswer, models.CodeAnswer, `{"type":"answer"}`)
	relayed(t, moved, bob, models.MethodCandidate, models.CodeCandidate, `{"candidate":"x"}`)

	carol.quiet(500 * time.Millisecond)
	for _, u := range []*nodeUser{bob, carol} {
		if u.offline[alice.id] != 0 || u.view[alice.id] != models.StatusInCall {
			t.Errorf("%s saw alice offline %d times, sees her %q", u.name, u.offline[alice.id], u.view[alice.id])
		}
	}
	bob.callMethod(models.MethodHangup, alice.id, callID)
	moved.expect(models.CodeCallEnded)
	row := endedCall(t, nodes[2].DB, callID)
	if row.EndReason != models.CallHangup || row.Resumes != 1 {
		t.Errorf("call record = %+v, want hung up, resumed once", row)
	}
}

// TestClusterGracefulStop: a node stopped gracefully closes its sockets
// with 1012; its users reconnect to another node with resume and carry on
// their call, which is stored once.
func TestClusterGracefulStop(t *testing.T) {
	noLeaks(t)
	nodes := startNodes(t, 2, dao.DriverSQLite)
	alice, bob, carol := register(t, nodes[0], "alice"), register(t, nodes[1], "bob"), register(t, nodes[1], "carol")
	carol.connect(nodes[1].URL, false)
	alice.connect(nodes[0].URL, false)
	bob.connect(nodes[1].URL, false)
	callID := answerCall(t, alice, bob)
	carol.waitStatus(alice.id, models.StatusInCall)

	nodes[0].Close()
	if code := alice.closeCode(); code != models.CloseServiceRestart {
		t.Fatalf("alice's socket closed %d, want %d", code, models.CloseServiceRestart)
	}
	back := alice.tab()
	back.connect(nodes[1].URL, true)
	if c := back.welcome.Call; c == nil || c.CallID != callID || c.PeerID != bob.id {
		t.Fatalf("welcome on the other node: call %+v, want %s", c, callID)
	}
	if got := decodeFrame[models.PeerAway](t, bob.expect(models.CodePeerAway)); got.CallID != callID || got.FromID != alice.id || got.GraceSec <= 0 {
		t.Errorf("bob's 10040 = %+v", got)
	}
	if got := decodeFrame[models.PeerAway](t, bob.expect(models.CodePeerBack)); got != (models.PeerAway{CallID: callID, FromID: alice.id}) {
		t.Errorf("bob's 10041 = %+v", got)
	}
	relayed(t, back, bob, models.MethodOffer, models.CodeOffer, `{"type":"offer","iceRestart":true}`)
	relayed(t, bob, back, models.MethodAnswer, models.CodeAnswer, `{"type":"answer"}`)
	carol.quiet(500 * time.Millisecond)
	if carol.offline[alice.id] != 0 || carol.view[alice.id] != models.StatusInCall {
		t.Errorf("carol saw alice offline %d times, sees her %q", carol.offline[alice.id], carol.view[alice.id])
	}
	back.callMethod(models.MethodHangup, bob.id, callID)
	bob.expect(models.CodeCallEnded)
	if row := endedCall(t, nodes[1].DB, callID); row.EndReason != models.CallHangup {
		t.Errorf("call record = %+v, want hung up", row)
	}
}
