package signal_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"callapp/controllers/signal"
	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
)

// nodes starts n hubs sharing one log in memory and one database, as
// several nodes behind a load balancer.
func nodes(t *testing.T, n int) ([]*harness, []*memNode) {
	t.Helper()
	return nodesWith(t, n, fast())
}

func nodesWith(t *testing.T, n int, base signal.Options) ([]*harness, []*memNode) {
	t.Helper()
	db := daotest.Open(t, dao.DriverSQLite)
	log := newMemLog()
	var hs []*harness
	var ns []*memNode
	for i := range n {
		node := log.node(string(rune('a' + i)))
		opts := base
		opts.Cluster = node
		hs = append(hs, startWith(t, opts, db))
		ns = append(ns, node)
	}
	return hs, ns
}

// seeOnline waits until p sees every user of ids but itself online.
func seeOnline(p *peer, ids ...uint64) {
	p.t.Helper()
	p.waitView("online", func(view map[uint64]models.OnlineUser) bool {
		for _, id := range ids {
			if _, ok := view[id]; !ok && id != p.id {
				return false
			}
		}
		return true
	})
}

func TestClusterCallAcrossNodes(t *testing.T) {
	t.Parallel()
	hs, _ := nodes(t, 2)
	alice := hs[0].join(1, "alice")
	bob := hs[1].join(2, "bob")
	seeOnline(alice, 2)
	seeOnline(bob, 1)
	callID := connectCall(t, alice, bob)

	offer := []byte(`{"sdp":"v=0 offer","type":"offer"}`)
	alice.send(models.MethodOffer, 2, jsonRaw(offer))
	got := bob.expect(models.CodeOffer)
	if !bytes.Contains(got.raw, offer) || !bytes.Contains(got.raw, []byte(`"fromId":1`)) {
		t.Fatalf("offer arrived as %s", got.raw)
	}
	bob.send(models.MethodAnswer, 1, jsonRaw([]byte(`{"sdp":"v=0 answer","type":"answer"}`)))
	alice.expect(models.CodeAnswer)
	cand := []byte(`{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0"}`)
	alice.send(models.MethodCandidate, 2, jsonRaw(cand))
	if got := bob.expect(models.CodeCandidate); !bytes.Contains(got.raw, cand) {
		t.Fatalf("candidate arrived as %s", got.raw)
	}
	alice.call(models.MethodHangup, 2, callID)
	ended := decode[models.CallPeerEvent](t, bob.expect(models.CodeCallEnded))
	if ended.Reason != models.CallHangup || ended.FromID != 1 {
		t.Fatalf("10015 = %+v", ended)
	}
	expectCallRow(t, hs[0], callID, models.CallHangup, true)
	calls, err := hs[0].db.RecentCalls(t.Context(), 10)
	if err != nil || len(calls) != 1 {
		t.Fatalf("records: %d, %v; want one", len(calls), err)
	}
}

func TestClusterInviteRaceRingsOnce(t *testing.T) {
	t.Parallel()
	hs, _ := nodes(t, 3)
	a, b := hs[0].join(1, "a"), hs[1].join(2, "b")
	callee := hs[2].join(3, "c")
	for _, p := range []*peer{a, b, callee} {
		seeOnline(p, 1, 2, 3)
	}
	for round := range 50 {
		var start sync.WaitGroup
		start.Add(1)
		var sent sync.WaitGroup
		for _, p := range []*peer{a, b} {
			sent.Add(1)
			go func() {
				defer sent.Done()
				start.Wait()
				p.send(models.MethodInvite, 3, nil)
			}()
		}
		start.Done()
		sent.Wait()
		incoming := decode[models.IncomingCall](t, callee.waitFor(models.CodeIncomingCall))
		var rang, busy *peer
		for _, p := range []*peer{a, b} {
			env := p.next()
			for p.applyPresence(env) {
				env = p.next()
			}
			switch env.Code {
			case models.CodeCallRinging:
				rang = p
			case models.CodeCallFailed:
				if decode[models.CallTargetEvent](t, env).Reason != models.CallBusy {
					t.Fatalf("round %d: %s", round, env.raw)
				}
				busy = p
			default:
				t.Fatalf("round %d: user %d got %s", round, p.id, env.raw)
			}
		}
		if rang == nil || busy == nil || rang.id != incoming.FromID {
			t.Fatalf("round %d: rang %v busy %v, callee rung by %d", round, rang, busy, incoming.FromID)
		}
		rang.call(models.MethodHangup, 3, incoming.CallID)
		callee.waitFor(models.CodeCallEnded)
	}
	callee.quiet(50 * time.Millisecond)
}

func TestClusterChatReachesEveryoneOnce(t *testing.T) {
	t.Parallel()
	hs, _ := nodes(t, 3)
	var ps []*peer
	for i, h := range hs {
		ps = append(ps, h.join(uint64(i+1), "u"), h.join(uint64(i+11), "v"))
	}
	for _, p := range ps {
		p.chat("hello from " + string(rune('0'+p.id)))
	}
	for _, p := range ps {
		seen := map[uint64]int{}
		for len(seen) < len(ps) {
			m := decode[models.ChatMessageView](t, p.waitFor(models.CodeChat))
			seen[m.ID]++
		}
		p.quiet(50 * time.Millisecond)
	}
	late := hs[1].join(99, "late")
	if len(late.history) != len(ps) {
		t.Fatalf("history on node b: %d messages, want %d", len(late.history), len(ps))
	}
}

func TestClusterReplaceOnAnotherNodeKeepsTheCall(t *testing.T) {
	t.Parallel()
	hs, _ := nodes(t, 2)
	alice, bob := hs[0].join(1, "alice"), hs[1].join(2, "bob")
	seeOnline(alice, 2)
	callID := connectCall(t, alice, bob)

	again := hs[1].dial(1, "alice")
	again.send(models.MethodConnect, 0, models.ConnectIn{Resume: true})
	w := decode[models.Welcome](t, again.expect(models.CodeWelcome))
	if w.Call == nil || w.Call.CallID != callID {
		t.Fatalf("welcome on the new node: %+v", w.Call)
	}
	alice.expect(models.CodeReplaced)
	expectClose(t, alice, models.CloseReplaced, "")
	again.send(models.MethodOffer, 2, jsonRaw([]byte(`{"sdp":"x"}`)))
	bob.waitFor(models.CodeOffer)
	bob.send(models.MethodOffer, 1, jsonRaw([]byte(`{"sdp":"y"}`)))
	again.waitFor(models.CodeOffer)
}

func TestClusterNodeGoneTakesItsUsersOffline(t *testing.T) {
	t.Parallel()
	hs, ns := nodes(t, 2)
	alice, bob := hs[0].join(1, "alice"), hs[1].join(2, "bob")
	seeOnline(bob, 1)
	seeOnline(alice, 2)
	if err := ns[1].in.NodeGone(ns[0].Node()); err != nil {
		t.Fatal(err)
	}
	bob.waitView("alice offline", func(view map[uint64]models.OnlineUser) bool { _, ok := view[1]; return !ok })
	expectClose(t, alice, models.CloseServiceRestart, "")
}

func TestClusterLogDownRefusesDecisionsAndRecovers(t *testing.T) {
	t.Parallel()
	hs, ns := nodes(t, 2)
	alice, bob := hs[0].join(1, "alice"), hs[0].join(2, "bob")
	carol := hs[1].join(3, "carol")
	seeOnline(alice, 2, 3)
	connectCall(t, alice, bob)
	ns[0].log.setDown(true)
	carol.send(models.MethodInvite, 1, nil)
	carol.expectError(models.MethodInvite, models.ReasonUnavailable)
	alice.send(models.MethodOffer, 2, jsonRaw([]byte(`{"sdp":"still"}`)))
	bob.waitFor(models.CodeOffer) // the call's signaling needs no other node
	ns[0].log.setDown(false)
	carol.send(models.MethodInvite, 1, nil)
	failed := decode[models.CallTargetEvent](t, carol.waitFor(models.CodeCallFailed))
	if failed.Reason != models.CallBusy {
		t.Fatalf("after recovery: %+v, want busy", failed)
	}
}

// jsonRaw is data sent as is.
func jsonRaw(b []byte) json.RawMessage { return json.RawMessage(b) }

func TestClusterRoomFullAcrossNodes(t *testing.T) {
	t.Parallel()
	hs, _ := nodes(t, 3)
	a, b, c := hs[0].join(1, "alice"), hs[1].join(2, "bob"), hs[2].join(3, "carol")
	joinRoom(t, a, "r")
	if got := joinRoom(t, b, "r"); len(got.Members) != 1 || got.Members[0] != alice {
		t.Fatalf("bob's 10020 = %+v", got)
	}
	expectOther(t, a, "r", bob)
	c.send(models.MethodRoomJoin, 0, models.RoomRef{Room: "r"})
	if full := decode[models.RoomFull](t, c.expect(models.CodeRoomFull)); full.Capacity != 2 {
		t.Fatalf("10022 = %+v", full)
	}

	for _, p := range []*peer{a, b} {
		p.send(models.MethodRoomLeave, 0, models.RoomRef{Room: "r"})
		p.waitFor(models.CodeRoomLeft)
	}

	// Two nodes race for the last seat: one gets it, every time.
	for round := range 30 {
		room := "race" + string(rune('a'+round%26)) + string(rune('a'+round/26))
		joinRoom(t, a, room)
		var sent sync.WaitGroup
		for _, p := range []*peer{b, c} {
			sent.Add(1)
			go func() { defer sent.Done(); p.send(models.MethodRoomJoin, 0, models.RoomRef{Room: room}) }()
		}
		sent.Wait()
		var seated *peer
		for _, p := range []*peer{b, c} {
			switch env := p.waitFor(models.CodeRoomJoined, models.CodeRoomFull); env.Code {
			case models.CodeRoomJoined:
				if seated != nil {
					t.Fatalf("round %d: both got a seat", round)
				}
				seated = p
			}
		}
		if seated == nil {
			t.Fatalf("round %d: nobody got the seat", round)
		}
		a.waitFor(models.CodeRoomOther)
		for _, p := range []*peer{a, seated} {
			p.send(models.MethodRoomLeave, 0, models.RoomRef{Room: room})
			p.waitFor(models.CodeRoomLeft)
		}
	}
}

func TestClusterViewerCapAcrossNodes(t *testing.T) {
	t.Parallel()
	db := daotest.Open(t, dao.DriverSQLite)
	log := newMemLog()
	var hs []*harness
	for _, id := range []string{"a", "b", "c"} {
		opts := fast()
		opts.Cluster, opts.LiveMaxViewers = log.node(id), 2
		hs = append(hs, startWith(t, opts, db))
	}
	owner := hs[0].join(1, "owner")
	viewers := []*peer{hs[0].join(2, "v2"), hs[1].join(3, "v3"), hs[2].join(4, "v4"), hs[1].join(5, "v5")}
	live := goLive(t, owner, "show")
	for _, v := range viewers {
		v.waitFor(models.CodeLive)
	}
	var sent sync.WaitGroup
	for _, v := range viewers {
		sent.Add(1)
		go func() { defer sent.Done(); watch(v, live.LiveID) }()
	}
	sent.Wait()
	// Two of the four get a place, whatever their node: the broadcaster
	// hears of two viewers, and two viewers hear it is full.
	seen := map[uint64]bool{}
	for range 2 {
		seen[decode[models.LiveViewer](t, owner.waitFor(models.CodeLiveViewer)).FromID] = true
	}
	for _, v := range viewers {
		if seen[v.id] {
			continue
		}
		if full := decode[models.LiveFull](t, v.waitFor(models.CodeLiveFull)); full.MaxViewers != 2 {
			t.Fatalf("10034 = %+v", full)
		}
	}
	if len(seen) != 2 {
		t.Fatalf("viewers seated: %v", seen)
	}
	quietBut(owner, 50*time.Millisecond, models.CodeLiveViewer)
}

// quietBut fails if an envelope with one of codes arrives within d.
func quietBut(p *peer, d time.Duration, codes ...int) {
	p.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case env := <-p.in:
			if slices.Contains(codes, env.Code) {
				p.t.Fatalf("user %d: unexpected %s", p.id, env.raw)
			}
		case <-deadline:
			return
		}
	}
}

func TestClusterGracefulStopMovesUsersToAnotherNode(t *testing.T) {
	t.Parallel()
	hs, _ := nodes(t, 2)
	alice, bob := hs[0].join(1, "alice"), hs[1].join(2, "bob")
	seeOnline(bob, 1)
	callID := connectCall(t, alice, bob)
	hs[0].hub.Close()
	expectClose(t, alice, models.CloseServiceRestart, "")
	expectAway(t, bob, models.PeerAway{CallID: callID, FromID: 1, GraceSec: 1})
	again := hs[1].dial(1, "alice")
	again.send(models.MethodConnect, 0, models.ConnectIn{Resume: true})
	if w := decode[models.Welcome](t, again.expect(models.CodeWelcome)); w.Call == nil || w.Call.CallID != callID {
		t.Fatalf("welcome after the move: %+v", w.Call)
	}
	back := decode[models.PeerAway](t, bob.expect(models.CodePeerBack))
	if back.CallID != callID || back.FromID != 1 {
		t.Fatalf("10041 = %+v", back)
	}
	again.send(models.MethodOffer, 2, jsonRaw([]byte(`{"sdp":"z"}`)))
	bob.waitFor(models.CodeOffer)
}

func TestClusterKickReachesAnotherNode(t *testing.T) {
	t.Parallel()
	hs, _ := nodes(t, 2)
	alice, bob := hs[0].join(1, "alice"), hs[1].join(2, "bob")
	seeOnline(alice, 2)
	hs[0].hub.Kick(2, "account disabled")
	expectClose(t, bob, models.CloseKicked, "account disabled")
	alice.waitView("bob offline", func(view map[uint64]models.OnlineUser) bool { _, ok := view[2]; return !ok })
}

func TestClusterPresenceIsOneBatchPerTick(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.PresenceTick = 300 * time.Millisecond // all twenty arrive within a tick or two
	hs, _ := nodesWith(t, 2, opts)
	watcher := hs[1].join(100, "watcher")
	var sent sync.WaitGroup
	for i := range 20 {
		sent.Add(1)
		go func() { defer sent.Done(); hs[0].connect(uint64(i+1), "u") }()
	}
	sent.Wait()
	envelopes := 0
	watcher.waitView("20 arrivals", func(view map[uint64]models.OnlineUser) bool {
		envelopes++
		return len(view) == 20
	})
	if envelopes-1 > 2 {
		t.Fatalf("20 arrivals on another node took %d presence envelopes, want one a tick", envelopes-1)
	}
}

func TestClusterCallStatsReachTheRecordingNode(t *testing.T) {
	t.Parallel()
	hs, _ := nodesWith(t, 2, qualityOpts())
	alice, bob := hs[0].join(1, "alice"), hs[1].join(2, "bob")
	seeOnline(alice, 2)
	callID := connectCall(t, alice, bob) // recorded by node a, whose user invited
	bob.send(models.MethodCallStats, 0, sample(callID, 40, 1, "relay"))
	alice.send(models.MethodCallStats, 0, sample(callID, 20, 0, "host"))
	taken(t, bob)
	taken(t, alice)
	bob.send(models.MethodCallStats, 0, sample("not-"+callID, 40, 1, "host"))
	bob.expectError(models.MethodCallStats, models.ReasonUnknownCall)
	alice.call(models.MethodHangup, 2, callID)
	bob.waitFor(models.CodeCallEnded)
	eventually(t, "the quality of both sides stored once", func() bool {
		row := callRow(t, hs[0], callID)
		q := row.Quality()
		return q.Samples == 2 && q.UsedRelay && *q.RTTWorstMs == 40
	})
}

// TestClusterLateNodeStartsFromASnapshot: once the log is trimmed, a node
// that joins loads the state from a snapshot, and decides as the others
// do: a call, a full room and a broadcast made before it are there.
func TestClusterLateNodeStartsFromASnapshot(t *testing.T) {
	t.Parallel()
	db := daotest.Open(t, dao.DriverSQLite)
	log := newMemLog()
	node := func(id string) (*harness, *memNode) {
		opts := fast()
		opts.Cluster = log.node(id)
		return startWith(t, opts, db), opts.Cluster.(*memNode)
	}
	ha, na := node("a")
	hb, _ := node("b")
	alice, bob := ha.join(1, "alice"), hb.join(2, "bob")
	carol, dave := ha.join(3, "carol"), hb.join(4, "dave")
	erin := hb.join(5, "erin")
	seeOnline(alice, 2)
	callID := connectCall(t, alice, bob)
	joinRoom(t, carol, "r")
	joinRoom(t, dave, "r")
	carol.waitFor(models.CodeRoomOther)
	live := goLive(t, erin, "show", carol)
	watch(carol, live.LiveID) // refused: in a room
	carol.expectError(models.MethodLiveWatch, models.ReasonAlreadyInRoom)
	log.compact(na)

	hc, _ := node("c")
	henry := hc.join(8, "henry")
	status := map[uint64]string{}
	for _, u := range henry.online {
		status[u.ID] = u.Status
	}
	if status[1] != models.StatusInCall || status[3] != models.StatusInRoom || len(status) != 5 {
		t.Fatalf("the late node's 10000: %v", henry.online)
	}
	if len(henry.lives) != 1 || henry.lives[0].LiveID != live.LiveID {
		t.Fatalf("the late node's 10035: %+v", henry.lives)
	}
	henry.send(models.MethodInvite, 1, nil)
	if failed := decode[models.CallTargetEvent](t, henry.waitFor(models.CodeCallFailed)); failed.Reason != models.CallBusy {
		t.Fatalf("invite of alice in a call: %+v", failed)
	}
	henry.send(models.MethodRoomJoin, 0, models.RoomRef{Room: "r"})
	henry.waitFor(models.CodeRoomFull)
	watch(henry, live.LiveID)
	expectViewer(t, erin, henry, "henry", live.LiveID)
	alice.call(models.MethodHangup, 2, callID)
	bob.waitFor(models.CodeCallEnded)
	expectCallRow(t, ha, callID, models.CallHangup, true)
}

// TestClusterGraceEndsAfterAnOutage: the resume grace ends while the log
// does not answer; the entry that says so is appended once it does.
func TestClusterGraceEndsAfterAnOutage(t *testing.T) {
	t.Parallel()
	hs, ns := nodes(t, 2)
	alice, bob := hs[0].join(1, "alice"), hs[1].join(2, "bob")
	seeOnline(alice, 2)
	callID := connectCall(t, alice, bob)
	alice.conn.Close()
	expectAway(t, bob, models.PeerAway{CallID: callID, FromID: 1, GraceSec: 1})
	ns[0].log.setDown(true)
	time.Sleep(400 * time.Millisecond) // the grace, 200ms, ends meanwhile
	ns[0].log.setDown(false)
	ended := decode[models.CallPeerEvent](t, bob.waitFor(models.CodeCallEnded))
	if ended.Reason != models.CallDisconnected {
		t.Fatalf("10015 = %+v", ended)
	}
}

// TestClusterTwoNodesStoppingTogether: two nodes stop at once, each naming
// the other to record its calls; the one left records them.
func TestClusterTwoNodesStoppingTogether(t *testing.T) {
	t.Parallel()
	hs, _ := nodes(t, 3)
	alice, carol := hs[0].join(1, "alice"), hs[2].join(3, "carol")
	seeOnline(alice, 3)
	callID := connectCall(t, alice, carol) // recorded by node a
	var wg sync.WaitGroup
	for _, h := range hs[:2] {
		wg.Add(1)
		go func() { defer wg.Done(); h.hub.Close() }()
	}
	wg.Wait()
	again := hs[2].dial(1, "alice")
	again.send(models.MethodConnect, 0, models.ConnectIn{Resume: true})
	if w := decode[models.Welcome](t, again.expect(models.CodeWelcome)); w.Call == nil || w.Call.CallID != callID {
		t.Fatalf("welcome on c: %+v", w.Call)
	}
	again.call(models.MethodHangup, 3, callID)
	carol.waitFor(models.CodeCallEnded)
	expectCallRow(t, hs[2], callID, models.CallHangup, true)
}

// TestClusterGracefulStopHandsOverQuality: the samples the node that
// recorded a call kept go to the node that records it after a graceful
// stop, and the record holds them all.
func TestClusterGracefulStopHandsOverQuality(t *testing.T) {
	t.Parallel()
	hs, _ := nodesWith(t, 2, qualityOpts())
	alice, bob := hs[0].join(1, "alice"), hs[1].join(2, "bob")
	seeOnline(alice, 2)
	callID := connectCall(t, alice, bob) // recorded by node a
	bob.send(models.MethodCallStats, 0, sample(callID, 40, 1, "relay"))
	alice.send(models.MethodCallStats, 0, sample(callID, 20, 0, "host"))
	taken(t, bob)
	taken(t, alice)
	hs[0].hub.Close()
	again := hs[1].dial(1, "alice")
	again.send(models.MethodConnect, 0, models.ConnectIn{Resume: true})
	handshakeRest(again)
	again.send(models.MethodCallStats, 0, sample(callID, 30, 0, "host"))
	taken(t, again)
	again.call(models.MethodHangup, 2, callID)
	bob.waitFor(models.CodeCallEnded)
	eventually(t, "the call's quality stored, from both nodes", func() bool {
		row := callRow(t, hs[1], callID)
		q := row.Quality()
		return q.Samples == 3 && q.UsedRelay && q.RTTWorstMs != nil && *q.RTTWorstMs == 40
	})
}

// handshakeRest consumes what answers a User/Connect the test sent itself.
func handshakeRest(p *peer) {
	p.t.Helper()
	for _, code := range []int{models.CodeWelcome, models.CodeOnlineUsers, models.CodeLiveList, models.CodeChatHistory} {
		p.expect(code)
	}
}
