package signal_test

import (
	"context"
	"testing"
	"time"

	"callapp/controllers/signal"
	"callapp/models"
)

// comeBack connects user id again; resume sets User/Connect's resume flag.
// It returns the peer and its welcome, having read up to the chat history;
// what came between (10020, 10032) is left in extra.
func comeBack(h *harness, id uint64, name string, resume bool) (p *peer, extra []envelope) {
	h.t.Helper()
	p = h.dial(id, name)
	var data any
	if resume {
		data = models.ConnectIn{Resume: true}
	}
	p.send(models.MethodConnect, 0, data)
	p.welcome = decode[models.Welcome](p.t, p.expect(models.CodeWelcome))
	for {
		env := p.next()
		switch env.Code {
		case models.CodeChatHistory:
			return p, extra
		case models.CodeOnlineUsers:
			p.online = decode[[]models.OnlineUser](p.t, env)
		case models.CodeLiveList, models.CodeUserOnline, models.CodeUserStatus,
			models.CodeUserOffline, models.CodePresence:
		default:
			extra = append(extra, env)
		}
	}
}

// graceHub is a hub of fast() with the resume grace given.
func graceHub(t *testing.T, grace time.Duration) *harness {
	o := fast()
	o.ResumeGrace = grace
	return start(t, o)
}

// dropFromCall closes who's socket mid-call; peer hears it is away for
// graceSec.
func dropFromCall(t *testing.T, who, peer *peer, callID string, graceSec int) {
	t.Helper()
	who.conn.Close()
	expectAway(t, peer, models.PeerAway{CallID: callID, FromID: who.id, GraceSec: graceSec})
}

// expectEnded takes the next envelope, which must be 10015 with want.
func expectEnded(t *testing.T, p *peer, want models.CallPeerEvent) {
	t.Helper()
	if got := decode[models.CallPeerEvent](t, p.expect(models.CodeCallEnded)); got != want {
		t.Fatalf("user %d: 10015 = %+v, want %+v", p.id, got, want)
	}
}

// expectWelcomeCall fails unless p's welcome carries call callID.
func expectWelcomeCall(t *testing.T, p *peer, callID string) {
	t.Helper()
	if c := p.welcome.Call; c == nil || c.CallID != callID {
		t.Fatalf("user %d: welcome call %+v, want %s", p.id, c, callID)
	}
}

func expectBack(t *testing.T, p *peer, want models.PeerAway) {
	t.Helper()
	if got := decode[models.PeerAway](t, p.expect(models.CodePeerBack)); got != want {
		t.Fatalf("user %d: 10041 = %+v, want %+v", p.id, got, want)
	}
}

func TestCallResumesWithinTheGrace(t *testing.T) {
	t.Parallel()
	h := graceHub(t, 3*time.Second)
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	callID := connectCall(t, a, b, c)
	if b.welcome.ResumeGraceSec != 3 || b.welcome.MediaTimeoutSec <= 0 || b.welcome.Call != nil {
		t.Errorf("first welcome = %+v, want resumeGraceSec 3, a media timeout, no call", b.welcome)
	}

	dropFromCall(t, b, a, callID, 3) // the network went
	if s := h.hub.Stats(); s.AwayUsers != 1 || s.ActiveCalls != 1 {
		t.Errorf("stats while away = %+v", s)
	}
	a.send(models.MethodInvite, 3, nil) // still in the call
	a.expectError(models.MethodInvite, models.ReasonAlreadyInCall)
	c.send(models.MethodInvite, 2, nil) // bob still holds it
	expectFailed(t, c, models.CallTargetEvent{ToID: 2, Reason: models.CallBusy})

	b2, _ := comeBack(h, 2, "bob", false)
	got := b2.welcome.Call
	if got == nil || got.CallID != callID || got.PeerID != 1 || got.Peer != (models.UserBrief{ID: 1, Username: "alice"}) || got.StartedAt.IsZero() {
		t.Fatalf("welcome call = %+v, want %s with alice", got, callID)
	}
	if online := b2.online; len(online) != 2 || online[0].Status != models.StatusInCall {
		t.Errorf("bob's 10000 = %+v, want alice in_call and carol", online)
	}
	expectBack(t, a, models.PeerAway{CallID: callID, FromID: 2})
	a.send(models.MethodOffer, 2, map[string]any{"type": "offer", "iceRestart": true})
	b2.expect(models.CodeOffer)
	b2.send(models.MethodAnswer, 1, map[string]any{"type": "answer"})
	a.expect(models.CodeAnswer)
	// Carol saw bob in the call throughout: no offline, no status change.
	c.quiet(300 * time.Millisecond)
	if c.view[2].Status != models.StatusInCall {
		t.Errorf("carol sees bob as %+v", c.view[2])
	}

	a.call(models.MethodHangup, 2, callID)
	b2.expect(models.CodeCallEnded)
	row := expectCallRow(t, h, callID, models.CallHangup, true)
	if row.Resumes != 1 {
		t.Errorf("resumes = %d, want 1", row.Resumes)
	}
	if s := h.hub.Counters(); s.AwayUsers != 0 || s.CallsResumed != 1 || s.ActiveCalls != 0 {
		t.Errorf("counters after = %+v", s)
	}
}

func TestCallEndsWhenTheGracePasses(t *testing.T) {
	t.Parallel()
	h := start(t, fast()) // 200ms
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	callID := connectCall(t, a, b, c)
	left := time.Now()
	dropFromCall(t, b, a, callID, 1)
	expectEnded(t, a, models.CallPeerEvent{CallID: callID, FromID: 2, Reason: models.CallDisconnected})
	if waited := time.Since(left); waited < 150*time.Millisecond {
		t.Errorf("ended %v after the drop, before the grace", waited)
	}
	c.waitView("bob offline, alice online", func(v map[uint64]models.OnlineUser) bool {
		_, bob := v[2]
		return !bob && v[1].Status == models.StatusOnline
	})
	b2, _ := comeBack(h, 2, "bob", false)
	if b2.welcome.Call != nil {
		t.Errorf("welcome after the grace has call %+v", b2.welcome.Call)
	}
	row := expectCallRow(t, h, callID, models.CallDisconnected, true)
	// The call ended when bob went, not when the grace ran out.
	if row.EndedAt.After(left.Add(100 * time.Millisecond)) {
		t.Errorf("ended at %v, bob left at %v", row.EndedAt, left)
	}
}

func TestHangupDuringTheGraceEndsTheCall(t *testing.T) {
	t.Parallel()
	h := graceHub(t, 5*time.Second)
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	callID := connectCall(t, a, b)
	dropFromCall(t, b, a, callID, 5)
	a.call(models.MethodHangup, 2, callID)
	expectCallRow(t, h, callID, models.CallHangup, true)
	a.send(models.MethodInvite, 3, nil) // free again
	a.expect(models.CodeCallRinging)
	c.expect(models.CodeIncomingCall)
	// Bob holds nothing once the call ended: offline at once, not at the
	// end of the grace.
	c.waitView("bob offline", func(v map[uint64]models.OnlineUser) bool { _, bob := v[2]; return !bob })
	b2, _ := comeBack(h, 2, "bob", false)
	if b2.welcome.Call != nil {
		t.Errorf("welcome has call %+v after it was hung up", b2.welcome.Call)
	}
}

func TestKickEndsTheCallAtOnce(t *testing.T) {
	t.Parallel()
	h := graceHub(t, 5*time.Second)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	callID := connectCall(t, a, b)
	h.hub.Kick(2, "account disabled")
	expectEnded(t, a, models.CallPeerEvent{CallID: callID, FromID: 2, Reason: models.CallDisconnected}) // no 10040

	// Kicked while away: what the grace kept ends then, not at its end.
	c := h.join(3, "carol")
	callID = connectCall(t, a, c)
	dropFromCall(t, c, a, callID, 5)
	h.hub.Kick(3, "account disabled")
	expectEnded(t, a, models.CallPeerEvent{CallID: callID, FromID: 3, Reason: models.CallDisconnected})
	if s := h.hub.Stats(); s.AwayUsers != 0 {
		t.Errorf("away after the kick: %d", s.AwayUsers)
	}
}

// A second tab during the grace: the first connection back takes the call;
// a tab that then replaces it without resume ends it, as any replacement
// of a live connection does; one with resume takes it over.
func TestNewTabsDuringTheGrace(t *testing.T) {
	t.Parallel()
	h := graceHub(t, 5*time.Second)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	callID := connectCall(t, a, b)
	dropFromCall(t, b, a, callID, 5)

	tab1, _ := comeBack(h, 2, "bob", false)
	expectWelcomeCall(t, tab1, callID)
	expectBack(t, a, models.PeerAway{CallID: callID, FromID: 2})

	tab2, _ := comeBack(h, 2, "bob", true) // the same page reconnecting
	expectWelcomeCall(t, tab2, callID)
	tab1.expect(models.CodeReplaced)
	expectClose(t, tab1, models.CloseReplaced, "")
	expectBack(t, a, models.PeerAway{CallID: callID, FromID: 2})
	a.send(models.MethodOffer, 2, map[string]any{"type": "offer", "fresh": true})
	tab2.expect(models.CodeOffer)

	tab3, _ := comeBack(h, 2, "bob", false) // a page that never knew the call
	if tab3.welcome.Call != nil {
		t.Errorf("fresh tab: welcome call %+v", tab3.welcome.Call)
	}
	expectEnded(t, a, models.CallPeerEvent{CallID: callID, FromID: 2, Reason: models.CallDisconnected})
	row := expectCallRow(t, h, callID, models.CallDisconnected, true)
	if row.Resumes != 2 {
		t.Errorf("resumes = %d, want 2", row.Resumes)
	}
}

func TestRingingCallIsNotKept(t *testing.T) {
	t.Parallel()
	h := graceHub(t, 5*time.Second)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	a.send(models.MethodInvite, 2, nil)
	ringing := decode[models.CallTargetEvent](t, a.expect(models.CodeCallRinging))
	b.expect(models.CodeIncomingCall)
	b.conn.Close()
	expectEnded(t, a, models.CallPeerEvent{CallID: ringing.CallID, FromID: 2, Reason: models.CallDisconnected})
}

func TestRoomSeatKeptWithinTheGrace(t *testing.T) {
	t.Parallel()
	h := graceHub(t, 5*time.Second) // capacity 2
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	joinRoom(t, a, "r")
	joinRoom(t, b, "r")
	expectOther(t, a, "r", models.UserBrief{ID: 2, Username: "bob"})
	b.conn.Close()
	expectAway(t, a, models.PeerAway{Room: "r", FromID: 2, GraceSec: 5})
	c.send(models.MethodRoomJoin, 0, models.RoomRef{Room: "r"}) // bob's seat is kept
	c.expect(models.CodeRoomFull)

	b2, extra := comeBack(h, 2, "bob", false)
	if len(extra) != 1 || extra[0].Code != models.CodeRoomJoined {
		t.Fatalf("after the welcome: %+v, want 10020", extra)
	}
	joined := decode[models.RoomJoined](t, extra[0])
	if joined.Room != "r" || len(joined.Members) != 1 || joined.Members[0].ID != 1 {
		t.Errorf("10020 = %+v, want alice there", joined)
	}
	expectBack(t, a, models.PeerAway{Room: "r", FromID: 2})
	expectOther(t, a, "r", models.UserBrief{ID: 2, Username: "bob"}) // offer to him afresh
	a.send(models.MethodOffer, 2, map[string]string{"type": "offer"})
	b2.expect(models.CodeOffer)
}

func TestBroadcastKeptWithinTheGrace(t *testing.T) {
	t.Parallel()
	h := graceHub(t, 5*time.Second)
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	live := goLive(t, a, "show", b, c)
	watch(b, live.LiveID)
	expectViewer(t, a, b, "bob", live.LiveID)
	a.conn.Close()
	expectAway(t, b, models.PeerAway{LiveID: live.LiveID, FromID: 1, GraceSec: 5})
	watch(c, live.LiveID) // while alice is away: told so at once
	expectAway(t, c, models.PeerAway{LiveID: live.LiveID, FromID: 1, GraceSec: 5})

	a2, extra := comeBack(h, 1, "alice", false)
	if a2.welcome.Live == nil || a2.welcome.Live.LiveID != live.LiveID || a2.welcome.Live.Title != "show" {
		t.Fatalf("welcome live = %+v", a2.welcome.Live)
	}
	var viewers []models.LiveViewer
	for _, env := range extra {
		if env.Code == models.CodeLiveViewer {
			viewers = append(viewers, decode[models.LiveViewer](t, env))
		}
	}
	if len(viewers) != 2 || viewers[0].FromID != 2 || viewers[1].FromID != 3 {
		t.Fatalf("10032 after coming back = %+v, want bob and carol", viewers)
	}
	expectBack(t, b, models.PeerAway{LiveID: live.LiveID, FromID: 1})
	a2.send(models.MethodOffer, 2, map[string]string{"type": "offer"})
	b.expect(models.CodeOffer)
}

// A user back while the other party is away hears of it then: the 10040
// sent when that party went never reached the returner.
func TestBackWhileThePeerIsAwayIsTold(t *testing.T) {
	t.Parallel()
	h := graceHub(t, 5*time.Second)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	callID := connectCall(t, a, b)
	dropFromCall(t, b, a, callID, 5)
	a.conn.Close()
	eventually(t, "both away", func() bool { return h.hub.Stats().AwayUsers == 2 })
	b2, extra := comeBack(h, 2, "bob", false)
	if b2.welcome.Call == nil || len(extra) != 1 || extra[0].Code != models.CodePeerAway {
		t.Fatalf("bob back: call %+v, then %+v; want the call and a 10040 for alice", b2.welcome.Call, extra)
	}
	if got := decode[models.PeerAway](t, extra[0]); got != (models.PeerAway{CallID: callID, FromID: 1, GraceSec: 5}) {
		t.Errorf("10040 = %+v", got)
	}
	a2, extra := comeBack(h, 1, "alice", false)
	if a2.welcome.Call == nil || len(extra) != 0 {
		t.Errorf("alice back: call %+v, then %+v; want the call alone", a2.welcome.Call, extra)
	}
	expectBack(t, b2, models.PeerAway{CallID: callID, FromID: 1})
}

// A restored call one party came back to and left again is not the
// stopped server's any more: the other's grace ends it as disconnected.
func TestRestoredCallBackThenGoneIsDisconnected(t *testing.T) {
	t.Parallel()
	h := graceHub(t, 500*time.Millisecond)
	ctx := context.Background()
	answered := time.Now().Add(-time.Minute)
	if err := h.db.CreateCall(ctx, &models.Call{ID: "restored", CallerID: 1, CalleeID: 2, InvitedAt: answered}); err != nil {
		t.Fatal(err)
	}
	if err := h.db.MarkCallAnswered(ctx, "restored", answered); err != nil {
		t.Fatal(err)
	}
	refused := h.hub.Restore([]signal.RestoredCall{{ID: "restored", Caller: models.UserBrief{ID: 1, Username: "alice"},
		Callee: models.UserBrief{ID: 2, Username: "bob"}, AnsweredAt: answered, AliveAt: answered}})
	if len(refused) != 0 {
		t.Fatalf("refused %+v", refused)
	}
	a, _ := comeBack(h, 1, "alice", false)
	expectWelcomeCall(t, a, "restored")
	if a.welcome.Call.Peer.Username != "bob" {
		t.Errorf("welcome call = %+v, want bob as the peer", a.welcome.Call)
	}
	a.conn.Close()
	expectCallRow(t, h, "restored", models.CallDisconnected, true)
}

func TestConnectDataIsResumeOnly(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	p := h.dial(1, "alice")
	p.send(models.MethodConnect, 0, map[string]any{"resume": true, "as": 2})
	p.expectError(models.MethodConnect, models.ReasonBadJSON)
	p.send(models.MethodConnect, 0, map[string]any{})
	p.expect(models.CodeWelcome)
}
