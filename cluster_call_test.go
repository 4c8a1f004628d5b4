package main

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"callapp/config"
	"callapp/controllers/cluster/clustertest"
	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
	"callapp/route/apptest"
)

// forEachSharedDB runs fn per database driver (SQLite, and MySQL when
// configured), each on a cluster of its own.
func forEachSharedDB(t *testing.T, fn func(t *testing.T, driver string)) {
	for _, driver := range daotest.Drivers(t) {
		t.Run(driver, func(t *testing.T) { fn(t, driver) })
	}
}

// startNodes starts n nodes on the machine's Redis, under a prefix of the
// test's own, sharing a fresh database of driver.
func startNodes(t *testing.T, n int, driver string, opts ...apptest.Option) []*apptest.App {
	t.Helper()
	url, prefix := clustertest.Redis(t)
	return apptest.Nodes(t, n, driver, url, prefix, opts...)
}

// TestClusterCall: a user on node 1 sees a user of node 2 online and calls
// them through invite, accept, offer, answer, candidates and hang-up, with
// the relayed bytes as sent; the call is stored once, by one node.
func TestClusterCall(t *testing.T) {
	forEachSharedDB(t, func(t *testing.T, driver string) {
		noLeaks(t)
		nodes := startNodes(t, 2, driver)
		alice, bob := register(t, nodes[0], "alice"), register(t, nodes[1], "bob")
		probe := register(t, nodes[1], "probe")
		probe.connect(nodes[1].URL, false)

		alice.connect(nodes[0].URL, false)
		probe.waitStatus(alice.id, models.StatusOnline) // node 2 has told its users: its 10000 lists alice
		alice.waitStatus(probe.id, models.StatusOnline) // so bob's arrival is the one change alice hears of next
		bob.connect(nodes[1].URL, false)
		if !slices.Contains(bob.online, models.OnlineUser{ID: alice.id, Username: "alice", Status: models.StatusOnline}) {
			t.Errorf("bob's 10000 = %+v, want alice online", bob.online)
		}
		if got := decodeFrame[models.OnlineUser](t, alice.expect(models.CodeUserOnline)); got != (models.OnlineUser{ID: bob.id, Username: "bob", Status: models.StatusOnline}) {
			t.Errorf("alice's 10006 = %+v, want bob online", got)
		}

		callID := answerCall(t, alice, bob)
		alice.waitStatus(bob.id, models.StatusInCall)
		bob.waitStatus(alice.id, models.StatusInCall)
		// Data goes byte for byte: spaces, escapes and key order kept.
		relayed(t, alice, bob, models.MethodOffer, models.CodeOffer,
			`{"type":"offer", "sdp":"v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\n","x":[1, 2.50, "\u00e9"]}`)
		relayed(t, bob, alice, models.MethodAnswer, models.CodeAnswer, `{ "type" : "answer","sdp":"v=0\r\n" }`)
		relayed(t, alice, bob, models.MethodCandidate, models.CodeCandidate,
			`{"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}`)
		relayed(t, bob, alice, models.MethodCandidate, models.CodeCandidate, `{"candidate":"","sdpMid":"0"}`)

		alice.callMethod(models.MethodHangup, bob.id, callID)
		if got := decodeFrame[models.CallPeerEvent](t, bob.expect(models.CodeCallEnded)); got != (models.CallPeerEvent{CallID: callID, FromID: alice.id, Reason: models.CallHangup}) {
			t.Errorf("bob's 10015 = %+v", got)
		}
		alice.waitStatus(bob.id, models.StatusOnline)
		bob.waitStatus(alice.id, models.StatusOnline)
		alice.quiet(300 * time.Millisecond)

		row := endedCall(t, nodes[1].DB, callID)
		if row.CallerID != alice.id || row.CalleeID != bob.id || row.AnsweredAt == nil || row.EndReason != models.CallHangup {
			t.Errorf("call record = %+v, want alice to bob, answered, hung up", row)
		}
		expectCalls(t, nodes[0].DB, 1)
	})
}

// expectCalls fails unless db holds n call records.
func expectCalls(t *testing.T, db *dao.DAO, n int) []models.Call {
	t.Helper()
	calls, err := db.RecentCalls(context.Background(), n+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != n {
		t.Errorf("%d call records, want %d", len(calls), n)
	}
	return calls
}

// TestClusterInviteRace: two callers on two nodes invite a user of a
// third node at once, 200 times: each time exactly one invite rings (one
// 10012 to the callee, 10017 to its caller) and the other caller gets
// 10016 busy. Every node applies the two invites in the log's order.
func TestClusterInviteRace(t *testing.T) {
	forEachSharedDB(t, func(t *testing.T, driver string) {
		noLeaks(t)
		nodes := startNodes(t, 3, driver, apptest.Config(func(c *config.Config) {
			c.WSMessageRate, c.WSMessageBurst = 10000, 10000 // 200 invites and cancels
		}))
		alice, bob, carol := register(t, nodes[0], "alice"), register(t, nodes[1], "bob"), register(t, nodes[2], "carol")
		carol.connect(nodes[2].URL, false)
		alice.connect(nodes[0].URL, false)
		bob.connect(nodes[1].URL, false)
		alice.waitStatus(carol.id, models.StatusOnline)
		bob.waitStatus(carol.id, models.StatusOnline)

		const rounds = 200
		wins := map[string]int{}
		start := time.Now()
		for round := range rounds {
			var go1 sync.WaitGroup
			gate := make(chan struct{})
			for _, u := range []*nodeUser{alice, bob} {
				go1.Go(func() {
					<-gate
					u.send(models.MethodInvite, carol.id, nil)
				})
			}
			close(gate)
			go1.Wait()

			in := decodeFrame[models.IncomingCall](t, carol.expect(models.CodeIncomingCall))
			winner, loser := alice, bob
			if in.FromID == bob.id {
				winner, loser = bob, alice
			}
			wins[winner.name]++
			if got := decodeFrame[models.CallTargetEvent](t, winner.expect(models.CodeCallRinging)); got != (models.CallTargetEvent{CallID: in.CallID, ToID: carol.id}) {
				t.Fatalf("round %d: %s's 10017 = %+v, want %s", round, winner.name, got, in.CallID)
			}
			if got := decodeFrame[models.CallTargetEvent](t, loser.expect(models.CodeCallFailed)); got.ToID != carol.id || got.Reason != models.CallBusy {
				t.Fatalf("round %d: %s's 10016 = %+v, want busy", round, loser.name, got)
			}
			winner.callMethod(models.MethodHangup, carol.id, in.CallID)
			if got := decodeFrame[models.CallPeerEvent](t, carol.expect(models.CodeCallEnded)); got != (models.CallPeerEvent{CallID: in.CallID, FromID: winner.id, Reason: models.CallCancelled}) {
				t.Fatalf("round %d: carol's 10015 = %+v", round, got)
			}
		}
		t.Logf("%d rounds in %v; wins %v", rounds, time.Since(start).Round(time.Millisecond), wins)
		for _, u := range []*nodeUser{alice, bob, carol} {
			u.quiet(500 * time.Millisecond) // no second 10012, 10017 or 10016
		}
		// Every invite that rang is stored once, cancelled.
		for deadline := time.Now().Add(clusterWait); ; time.Sleep(100 * time.Millisecond) {
			calls, err := nodes[0].DB.RecentCalls(context.Background(), 2*rounds)
			if err != nil {
				t.Fatal(err)
			}
			ended := 0
			for _, c := range calls {
				if c.EndedAt != nil && c.EndReason == models.CallCancelled && c.CalleeID == carol.id {
					ended++
				}
			}
			if len(calls) == rounds && ended == rounds {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d call records, %d of them cancelled, want %d", len(calls), ended, rounds)
			}
		}
	})
}

// TestClusterRingTimeout: an invite nobody answers ends once, though the
// ring timer runs on all three nodes: one 10016 timeout to the caller, one
// 10015 timeout to the callee, one record.
func TestClusterRingTimeout(t *testing.T) {
	noLeaks(t)
	const ringFor = time.Second
	nodes := startNodes(t, 3, dao.DriverSQLite, apptest.Config(func(c *config.Config) { c.CallRingTimeout = ringFor }))
	alice, bob := register(t, nodes[0], "alice"), register(t, nodes[1], "bob")
	alice.connect(nodes[0].URL, false)
	bob.connect(nodes[1].URL, false)
	callID := ring(t, alice, bob)
	if got := decodeFrame[models.CallTargetEvent](t, alice.expect(models.CodeCallFailed)); got != (models.CallTargetEvent{CallID: callID, ToID: bob.id, Reason: models.CallTimeout}) {
		t.Errorf("alice's 10016 = %+v", got)
	}
	if got := decodeFrame[models.CallPeerEvent](t, bob.expect(models.CodeCallEnded)); got != (models.CallPeerEvent{CallID: callID, FromID: alice.id, Reason: models.CallTimeout}) {
		t.Errorf("bob's 10015 = %+v", got)
	}
	alice.quiet(ringFor) // no second timeout from another node's timer
	bob.quiet(100 * time.Millisecond)
	if row := endedCall(t, nodes[2].DB, callID); row.EndReason != models.CallTimeout || row.AnsweredAt != nil {
		t.Errorf("call record = %+v, want timeout", row)
	}
	expectCalls(t, nodes[0].DB, 1)
}
