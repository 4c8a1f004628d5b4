package signal_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"callapp/controllers/signal"
	"callapp/models"
)

// liveOpts are fast options with viewer-count updates every d.
func liveOpts(d time.Duration) signal.Options {
	o := fast()
	o.LiveUpdateEvery = d
	return o
}

// goLive starts a broadcast by p and returns it as everyone in all heard it.
func goLive(t *testing.T, p *peer, title string, all ...*peer) models.LiveInfo {
	t.Helper()
	p.send(models.MethodLiveStart, 0, models.LiveStart{Title: title})
	var first models.LiveInfo
	for i, q := range append([]*peer{p}, all...) {
		got := decode[models.LiveInfo](t, q.expect(models.CodeLive))
		if i == 0 {
			first = got
		} else if got != first {
			t.Fatalf("user %d heard %+v, the broadcaster %+v", q.id, got, first)
		}
	}
	return first
}

// awaitViewers reads 10030s of one broadcast until one says n viewers;
// coalescing may skip counts between, never other envelopes.
func awaitViewers(t *testing.T, p *peer, liveID string, n int) int {
	t.Helper()
	for seen := 1; ; seen++ {
		got := decode[models.LiveInfo](t, p.expect(models.CodeLive))
		if got.LiveID != liveID {
			t.Fatalf("user %d: 10030 of %s, want %s", p.id, got.LiveID, liveID)
		}
		if got.Viewers == n {
			return seen
		}
	}
}

// calm fails if anything but presence arrives within d.
func calm(p *peer, d time.Duration) {
	p.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case env := <-p.in:
			if !p.applyPresence(env) {
				p.t.Fatalf("user %d: unexpected %d %s %s", p.id, env.Code, env.Method, env.Data)
			}
		case <-deadline:
			return
		}
	}
}

func watch(p *peer, liveID string) { p.send(models.MethodLiveWatch, 0, models.LiveRef{LiveID: liveID}) }

// expectViewer checks the broadcaster's 10032 for viewer v.
func expectViewer(t *testing.T, owner, v *peer, name, liveID string) {
	t.Helper()
	got := decode[models.LiveViewer](t, owner.expect(models.CodeLiveViewer))
	want := models.LiveViewer{LiveID: liveID, FromID: v.id, User: models.UserBrief{ID: v.id, Username: name}}
	if got != want {
		t.Fatalf("10032 = %+v, want %+v", got, want)
	}
}

func TestLiveStartReachesEveryoneAndIsListedOnConnect(t *testing.T) {
	t.Parallel()
	h := start(t, liveOpts(10*time.Millisecond))
	a, b := h.join(1, "alice"), h.join(2, "bob")
	if len(a.lives) != 0 || a.lives == nil {
		t.Fatalf("10035 with no broadcast = %#v, want []", a.lives)
	}
	live := goLive(t, a, "  Cooking show  ", b)
	want := models.LiveInfo{LiveID: live.LiveID, FromID: 1, User: models.UserBrief{ID: 1, Username: "alice"}, Title: "Cooking show"}
	if live != want || len(live.LiveID) != 32 {
		t.Fatalf("10030 = %+v, want %+v with a 128-bit hex id", live, want)
	}
	watch(b, live.LiveID)
	expectViewer(t, a, b, "bob", live.LiveID)
	awaitViewers(t, a, live.LiveID, 1)
	awaitViewers(t, b, live.LiveID, 1)

	c := h.join(3, "carol") // handshake checks that 10035 comes between 10000 and 10004
	want.Viewers = 1
	if len(c.lives) != 1 || c.lives[0] != want {
		t.Fatalf("10035 = %+v, want [%+v]", c.lives, want)
	}
	admin := h.hub.Lives()
	if len(admin) != 1 || admin[0].Title != "Cooking show" || admin[0].Broadcaster.ID != 1 ||
		len(admin[0].Viewers) != 1 || admin[0].Viewers[0] != (models.UserBrief{ID: 2, Username: "bob"}) {
		t.Fatalf("Lives() = %+v", admin)
	}
	if s := h.hub.Stats(); s.LiveBroadcasts != 1 || s.LiveViewers != 1 {
		t.Fatalf("stats: %d broadcasts, %d viewers, want 1 and 1", s.LiveBroadcasts, s.LiveViewers)
	}
}

func TestLiveViewerJoinsRelaysAndLeaves(t *testing.T) {
	t.Parallel()
	h := start(t, liveOpts(10*time.Millisecond))
	a, b := h.join(1, "alice"), h.join(2, "bob")
	live := goLive(t, a, "show", b)
	watch(b, live.LiveID)
	expectViewer(t, a, b, "bob", live.LiveID)
	awaitViewers(t, a, live.LiveID, 1)
	awaitViewers(t, b, live.LiveID, 1)

	// Push/pull: the broadcaster offers, the viewer answers, both trickle.
	a.send(models.MethodOffer, 2, map[string]string{"sdp": "send-only"})
	if got := decode[models.Relay](t, b.expect(models.CodeOffer)); got.FromID != 1 || string(got.Data) != `{"sdp":"send-only"}` {
		t.Fatalf("viewer got offer %+v", got)
	}
	b.send(models.MethodAnswer, 1, map[string]string{"sdp": "recv-only"})
	if got := decode[models.Relay](t, a.expect(models.CodeAnswer)); got.FromID != 2 {
		t.Fatalf("broadcaster got answer %+v", got)
	}
	b.send(models.MethodCandidate, 1, map[string]string{"candidate": "c"})
	a.expect(models.CodeCandidate)

	b.send(models.MethodLiveLeave, 0, models.LiveRef{LiveID: live.LiveID})
	if got := decode[models.LiveViewerLeft](t, a.expect(models.CodeLiveLeft)); got != (models.LiveViewerLeft{LiveID: live.LiveID, FromID: 2}) {
		t.Fatalf("10033 = %+v", got)
	}
	awaitViewers(t, a, live.LiveID, 0)
	awaitViewers(t, b, live.LiveID, 0)
	b.send(models.MethodLiveLeave, 0, models.LiveRef{LiveID: live.LiveID})
	b.expectError(models.MethodLiveLeave, models.ReasonNotWatching)
	a.send(models.MethodOffer, 2, map[string]string{"sdp": "x"}) // no longer a viewer
	a.expectError(models.MethodOffer, models.ReasonNotInCall)
}

// With an interval longer than the test, viewers joining after the start
// announce change nothing for the others: at most one 10030 per interval.
func TestLiveViewerCountWaitsForTheInterval(t *testing.T) {
	t.Parallel()
	h := start(t, liveOpts(time.Hour))
	a, b, c, d := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol"), h.join(4, "dave")
	live := goLive(t, a, "show", b, c, d)
	watch(b, live.LiveID)
	expectViewer(t, a, b, "bob", live.LiveID)
	watch(c, live.LiveID)
	expectViewer(t, a, c, "carol", live.LiveID)
	calm(d, 100*time.Millisecond)
	calm(a, 10*time.Millisecond)
	a.send(models.MethodLiveStop, 0, nil) // the armed update dies with the broadcast
	for _, p := range []*peer{a, b, c, d} {
		if got := decode[models.LiveRef](t, p.expect(models.CodeLiveEnded)); got.LiveID != live.LiveID {
			t.Fatalf("10031 = %+v", got)
		}
	}
	calm(d, 100*time.Millisecond)
}

// Two quick joins cost the others one or two 10030, the last saying two.
func TestLiveViewerCountCoalesces(t *testing.T) {
	t.Parallel()
	const every = 100 * time.Millisecond
	h := start(t, liveOpts(every))
	a, b, c, d := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol"), h.join(4, "dave")
	live := goLive(t, a, "show", b, c, d)
	watch(b, live.LiveID)
	watch(c, live.LiveID)
	if n := awaitViewers(t, d, live.LiveID, 2); n > 2 {
		t.Fatalf("%d updates for two joins", n)
	}
	calm(d, 2*every)
}

func TestLiveViewerCap(t *testing.T) {
	t.Parallel()
	o := liveOpts(time.Hour)
	o.LiveMaxViewers = 1
	h := start(t, o)
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	live := goLive(t, a, "show", b, c)
	watch(b, live.LiveID)
	expectViewer(t, a, b, "bob", live.LiveID)
	watch(c, live.LiveID)
	if got := decode[models.LiveFull](t, c.expect(models.CodeLiveFull)); got != (models.LiveFull{LiveID: live.LiveID, MaxViewers: 1}) {
		t.Fatalf("10034 = %+v", got)
	}
	c.send(models.MethodOffer, 1, map[string]string{"sdp": "x"}) // turned away: no relay
	c.expectError(models.MethodOffer, models.ReasonNotInCall)
	calm(a, 50*time.Millisecond)
}

func TestLiveRelaysOnlyBetweenBroadcasterAndItsViewers(t *testing.T) {
	t.Parallel()
	h := start(t, liveOpts(time.Hour))
	a, b, c, d := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol"), h.join(4, "dave")
	live := goLive(t, a, "show", b, c, d)
	watch(b, live.LiveID)
	expectViewer(t, a, b, "bob", live.LiveID)
	watch(c, live.LiveID)
	expectViewer(t, a, c, "carol", live.LiveID)
	for _, tc := range []struct {
		from *peer
		to   uint64
	}{{b, 3}, {c, 2}, {d, 1}, {a, 4}, {d, 2}} {
		tc.from.send(models.MethodCandidate, tc.to, map[string]string{"candidate": "x"})
		tc.from.expectError(models.MethodCandidate, models.ReasonNotInCall)
	}
	for _, p := range []*peer{a, b, c, d} {
		calm(p, 50*time.Millisecond)
	}
}

func TestLiveEndsOnStopAndBroadcasterDisconnect(t *testing.T) {
	t.Parallel()
	h := start(t, liveOpts(time.Hour))
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	live := goLive(t, a, "one", b, c)
	watch(b, live.LiveID)
	expectViewer(t, a, b, "bob", live.LiveID)
	a.send(models.MethodLiveStop, 0, nil)
	for _, p := range []*peer{a, b, c} {
		if got := decode[models.LiveRef](t, p.expect(models.CodeLiveEnded)); got.LiveID != live.LiveID {
			t.Fatalf("user %d: 10031 = %+v", p.id, got)
		}
	}
	a.send(models.MethodLiveStop, 0, nil)
	a.expectError(models.MethodLiveStop, models.ReasonNotLive)
	b.send(models.MethodLiveLeave, 0, models.LiveRef{LiveID: live.LiveID}) // the end took b off too
	b.expectError(models.MethodLiveLeave, models.ReasonNotWatching)

	second := goLive(t, a, "two", b, c)
	if second.LiveID == live.LiveID {
		t.Fatal("a new broadcast reused the id")
	}
	watch(b, second.LiveID)
	expectViewer(t, a, b, "bob", second.LiveID)
	a.conn.Close() // the broadcast waits for the grace, then ends
	expectAway(t, b, models.PeerAway{LiveID: second.LiveID, FromID: 1, GraceSec: 1})
	for _, p := range []*peer{b, c} {
		if got := decode[models.LiveRef](t, p.expect(models.CodeLiveEnded)); got.LiveID != second.LiveID {
			t.Fatalf("user %d: 10031 = %+v", p.id, got)
		}
	}
	eventually(t, "no broadcast counted", func() bool {
		s := h.hub.Stats()
		return s.LiveBroadcasts == 0 && s.LiveViewers == 0 && len(h.hub.Lives()) == 0
	})
	if d := h.join(4, "dave"); len(d.lives) != 0 {
		t.Fatalf("10035 after the end = %+v", d.lives)
	}
}

func TestLiveEndsWhenTheBroadcasterIsReplacedOrKicked(t *testing.T) {
	t.Parallel()
	h := start(t, liveOpts(time.Hour))
	a, b := h.join(1, "alice"), h.join(2, "bob")
	live := goLive(t, a, "show", b)
	a2 := h.join(1, "alice") // a new tab: the old one's broadcast ends
	if got := decode[models.LiveRef](t, b.expect(models.CodeLiveEnded)); got.LiveID != live.LiveID {
		t.Fatalf("10031 = %+v", got)
	}
	if len(a2.lives) != 0 {
		t.Fatalf("the new tab was told of %+v", a2.lives)
	}
	live = goLive(t, a2, "again", b)
	h.hub.Kick(1, "account disabled")
	if got := decode[models.LiveRef](t, b.expect(models.CodeLiveEnded)); got.LiveID != live.LiveID {
		t.Fatalf("10031 after kick = %+v", got)
	}
}

func TestLiveViewerDisconnectTellsTheBroadcaster(t *testing.T) {
	t.Parallel()
	h := start(t, liveOpts(10*time.Millisecond))
	a, b := h.join(1, "alice"), h.join(2, "bob")
	live := goLive(t, a, "show", b)
	watch(b, live.LiveID)
	expectViewer(t, a, b, "bob", live.LiveID)
	awaitViewers(t, a, live.LiveID, 1)
	b.conn.Close()
	if got := decode[models.LiveViewerLeft](t, a.expect(models.CodeLiveLeft)); got != (models.LiveViewerLeft{LiveID: live.LiveID, FromID: 2}) {
		t.Fatalf("10033 = %+v", got)
	}
	awaitViewers(t, a, live.LiveID, 0)
}

func TestLiveRefusals(t *testing.T) {
	t.Parallel()
	h := start(t, liveOpts(time.Hour))
	a, b := h.join(1, "alice"), h.join(2, "bob")
	for _, title := range []string{"", "   ", "\u200b", strings.Repeat("x", models.LiveTitleMaxRunes+1), "a\nb", "a\tb", "a\x01b", "a\u0085b"} {
		a.send(models.MethodLiveStart, 0, models.LiveStart{Title: title})
		a.expectError(models.MethodLiveStart, models.ReasonBadTitle)
	}
	a.send(models.MethodLiveStart, 0, map[string]int{"title": 5})
	a.expectError(models.MethodLiveStart, models.ReasonBadJSON)
	a.send(models.MethodLiveStart, 0, nil)
	a.expectError(models.MethodLiveStart, models.ReasonMissingField)
	watch(b, "0123456789abcdef0123456789abcdef")
	b.expectError(models.MethodLiveWatch, models.ReasonNoSuchLive)
	b.send(models.MethodLiveWatch, 0, map[string]string{})
	b.expectError(models.MethodLiveWatch, models.ReasonMissingField)
	b.send(models.MethodLiveStop, 0, nil)
	b.expectError(models.MethodLiveStop, models.ReasonNotLive)

	live := goLive(t, a, strings.Repeat("é", models.LiveTitleMaxRunes), b) // the longest title
	a.send(models.MethodLiveStart, 0, models.LiveStart{Title: "again"})
	a.expectError(models.MethodLiveStart, models.ReasonAlreadyLive)
	watch(a, live.LiveID) // a broadcaster cannot watch, its own or another
	a.expectError(models.MethodLiveWatch, models.ReasonAlreadyLive)
	watch(b, live.LiveID)
	expectViewer(t, a, b, "bob", live.LiveID)
	watch(b, live.LiveID)
	b.expectError(models.MethodLiveWatch, models.ReasonAlreadyWatching)
	b.send(models.MethodLiveStart, 0, models.LiveStart{Title: "mine"})
	b.expectError(models.MethodLiveStart, models.ReasonAlreadyWatching)
	b.send(models.MethodLiveLeave, 0, models.LiveRef{LiveID: "other"})
	b.expectError(models.MethodLiveLeave, models.ReasonNotWatching)
}

// A broadcaster and a viewer are busy for calls, and neither may call;
// someone in a call may neither broadcast nor watch.
func TestLiveAndCallsExcludeEachOther(t *testing.T) {
	t.Parallel()
	h := start(t, liveOpts(time.Hour))
	a, b, c, d := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol"), h.join(4, "dave")
	live := goLive(t, a, "show", b, c, d)
	watch(b, live.LiveID)
	expectViewer(t, a, b, "bob", live.LiveID)
	for _, tc := range []struct {
		from *peer
		to   uint64
	}{{c, 1}, {c, 2}} {
		tc.from.send(models.MethodInvite, tc.to, nil)
		got := decode[models.CallTargetEvent](t, tc.from.expect(models.CodeCallFailed))
		if got.Reason != models.CallBusy || got.ToID != tc.to {
			t.Fatalf("invite %d: 10016 = %+v, want busy", tc.to, got)
		}
	}
	a.send(models.MethodInvite, 3, nil)
	a.expectError(models.MethodInvite, models.ReasonAlreadyLive)
	b.send(models.MethodInvite, 3, nil)
	b.expectError(models.MethodInvite, models.ReasonAlreadyWatching)

	c.send(models.MethodInvite, 4, nil) // ringing is enough
	c.expect(models.CodeCallRinging)
	d.expect(models.CodeIncomingCall)
	for _, p := range []*peer{c, d} {
		p.send(models.MethodLiveStart, 0, models.LiveStart{Title: "t"})
		p.expectError(models.MethodLiveStart, models.ReasonAlreadyInCall)
		watch(p, live.LiveID)
		p.expectError(models.MethodLiveWatch, models.ReasonAlreadyInCall)
	}
}

// TestLiveAndRoomsExcludeEachOther: a room member cannot broadcast or
// watch, a broadcaster or viewer cannot join a room, and media signaling
// does not cross from a room to a broadcast.
func TestLiveAndRoomsExcludeEachOther(t *testing.T) {
	t.Parallel()
	h := start(t, liveOpts(time.Hour))
	a, b, c := h.join(1, "alice"), h.join(2, "bob"), h.join(3, "carol")
	live := goLive(t, a, "show", b, c)
	watch(b, live.LiveID)
	expectViewer(t, a, b, "bob", live.LiveID)
	joinRoom(t, c, "lobby")

	c.send(models.MethodLiveStart, 0, models.LiveStart{Title: "t"})
	c.expectError(models.MethodLiveStart, models.ReasonAlreadyInRoom)
	watch(c, live.LiveID)
	c.expectError(models.MethodLiveWatch, models.ReasonAlreadyInRoom)
	for _, p := range []*peer{a, b} {
		p.send(models.MethodRoomJoin, 0, models.RoomRef{Room: "lobby"})
	}
	a.expectError(models.MethodRoomJoin, models.ReasonAlreadyLive)
	b.expectError(models.MethodRoomJoin, models.ReasonAlreadyWatching)
	c.send(models.MethodOffer, 1, json.RawMessage(`{"sdp":"x"}`))
	c.expectError(models.MethodOffer, models.ReasonNotInCall)
}
