package main

// Browser tests of rooms: the home page's New room and Join room, the room
// page's states in words, the full mesh with every member's video decoded,
// a full room, messages and leaving.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestE2ERoomOfTwo: alice opens a new room from the home page, bob joins
// it by name (after a refused name), each decodes the other's video, carol
// is told the room is full, a message goes across, one refused for going
// too fast keeps its draft until it goes, a long draft is counted, and
// when bob leaves alice waits again.
func TestE2ERoomOfTwo(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv("CALLAPP_CHAT_RATE=1", "CALLAPP_CHAT_BURST=2")...)
	users := registerAll(t, browser, app, "alice", "bob", "carol")
	alice, bob, carol := users[0], users[1], users[2]

	alice.click("#new-room")
	alice.waitFor(20*time.Second, "a new room with a readable name", `/^\/webrtc\/room\/[a-z]+-[a-z]+-\d\d$/.test(location.pathname)`)
	alice.waitRoom("waiting", "Waiting for others")
	var room string
	if err := alice.eval(`location.pathname.split('/').pop()`, &room); err != nil {
		t.Fatal(err)
	}

	// A name the server would refuse stays on the home page with a reason;
	// the room's name in capitals is the same room.
	bob.run(20*time.Second, "type a bad room name", chromedp.SendKeys("#room-name", "no spaces", chromedp.ByQuery))
	bob.click("#join-room")
	bob.waitFor(20*time.Second, "the room name refused", `location.pathname === '/webrtc/in' && !!document.querySelector('#room-error')`)
	bob.run(20*time.Second, "type the room's name",
		chromedp.Evaluate(`(e => { e.value = ''; e.dispatchEvent(new Event('input')); })(document.querySelector('#room-name'))`, nil),
		chromedp.SendKeys("#room-name", strings.ToUpper(room), chromedp.ByQuery))
	bob.click("#join-room")
	bob.waitRoom("connected", "Connected")
	alice.waitRoom("connected", "Connected")
	alice.waitRoomVideos("bob")
	bob.waitRoomVideos("alice")
	alice.screenshot("room-two")

	carol.navigate("/webrtc/room/" + room)
	carol.waitRoom("full", "This room is full")
	carol.screenshot("room-full")

	alice.run(20*time.Second, "send a room message", chromedp.SendKeys("#room-input", xss+kb.Enter, chromedp.ByQuery))
	bob.waitFor(20*time.Second, "alice's message, as text",
		fmt.Sprintf(`[...document.querySelectorAll('#room-log li .text')].some((e) => e.textContent === %q) && !document.querySelector('#room-log img')`, xss))
	roomDraftKept(alice)
	draftCounter(alice, "room")

	bob.click("#leave")
	bob.waitFor(20*time.Second, "the home page after leaving", `location.pathname === '/webrtc/in'`)
	alice.waitRoom("bye", "bob left; waiting for others.")
	alice.waitFor(20*time.Second, "bob's video gone", `!document.querySelector('#tiles [data-member="bob"]') && window.callapp.peers().size === 0`)
}

// roomDraftKept: a room message refused for going too fast stays in the
// box, saying why, and goes once the limit lets it.
func roomDraftKept(p *page) {
	p.t.Helper()
	// Two messages use up the burst; the third, typed and sent in the same
	// instant, is refused.
	p.run(5*time.Second, "send three room messages at once", chromedp.Evaluate(`(() => {
	  const s = window.callapp.signal, room = window.callapp.vm.room;
	  s.send('Room/Message', { data: { room, message: 'quick one' } });
	  s.send('Room/Message', { data: { room, message: 'quick two' } });
	  const input = document.querySelector('#room-input');
	  input.value = 'the third, too fast';
	  input.dispatchEvent(new Event('input'));
	  document.querySelector('#room-send').click();
	  return true;
	})()`, nil))
	p.waitFor(20*time.Second, "the refusal, with the draft kept", `
	  document.querySelector('#room-error')?.textContent.trim() === 'You are sending messages too fast. Your message is kept: send it again in a moment.' &&
	  document.querySelector('#room-input').value === 'the third, too fast'`)
	// Clicks come at most once a second: each refusal counts.
	p.waitFor(20*time.Second, "the draft sent and cleared", `(() => {
	  const input = document.querySelector('#room-input');
	  const sent = [...document.querySelectorAll('#room-log li.mine .text')].some((e) => e.textContent === 'the third, too fast');
	  if (sent) return input.value === '' && !document.querySelector('#room-error');
	  if (!window.lastTry || Date.now() - window.lastTry > 1000) { window.lastTry = Date.now(); document.querySelector('#room-send').click(); }
	  return false;
	})()`)
}

// draftCounter: near the limit a message box (the home chat's, prefix
// "chat", or a room's, "room") counts characters as the server does (an
// emoji is one), and over it sending is blocked, nothing cut. It leaves the
// box empty.
func draftCounter(p *page, prefix string) {
	p.t.Helper()
	typeDraft := func(n int) {
		p.run(5*time.Second, "type a long draft", chromedp.Evaluate(fmt.Sprintf(`(() => {
		  const input = document.querySelector('#%s-input');
		  input.value = '\u{1F600}'.repeat(%d);
		  input.dispatchEvent(new Event('input'));
		  return true;
		})()`, prefix, n), nil))
	}
	typeDraft(1700)
	p.waitFor(20*time.Second, "no counter far from the limit", fmt.Sprintf(`!document.querySelector('#%[1]s-counter') && !document.querySelector('#%[1]s-send').disabled`, prefix))
	typeDraft(1850)
	p.waitFor(20*time.Second, "the counter", fmt.Sprintf(`document.querySelector('#%s-counter')?.textContent.trim() === '1,850 of 2,000 characters'`, prefix))
	typeDraft(2001)
	p.waitFor(20*time.Second, "sending blocked, with why, nothing cut", fmt.Sprintf(`
	  document.querySelector('#%[1]s-error')?.textContent.trim() === 'The message has 2,001 characters; at most 2,000 can be sent. Shorten it to send it.' &&
	  document.querySelector('#%[1]s-send').disabled && [...document.querySelector('#%[1]s-input').value].length === 2001`, prefix))
	if prefix == "chat" {
		p.screenshot("chat-over-limit", "#chat-counter")
	}
	typeDraft(0)
}

// TestE2ERoomOfThree: with ROOM_CAPACITY=3 each of three members decodes
// the video of both others, over three connections in all. Carol comes in
// with her camera blocked: her page says so and how to allow it, and once
// she allows it and presses Retry the others decode her video too.
func TestE2ERoomOfThree(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv("CALLAPP_ROOM_CAPACITY=3")...)
	users := registerAll(t, browser, app, "alice", "bob", "carol")
	carol := users[2]
	carol.blockCamera()
	users[0].navigate("/webrtc/room/trio")
	users[0].waitRoom("waiting", "Waiting for others")
	for _, p := range users[1:] {
		p.navigate("/webrtc/room/trio")
		p.waitRoom("connected", "Connected")
	}
	carol.waitFor(20*time.Second, "the blocked camera explained", `(() => {
	  const t = document.querySelector('#media-problem')?.textContent || '';
	  return t.includes('Your camera is blocked for this site.') && t.includes('address bar') &&
	    t.includes('The others hear you but do not see you.') && document.querySelector('#camera').disabled;
	})()`)
	carol.waitRoomVideos("alice", "bob")
	carol.run(5*time.Second, "allow the camera", chromedp.Evaluate(`window.allowCamera = true`, nil))
	carol.click("#media-retry")
	carol.waitFor(20*time.Second, "the problem gone, the camera on", `!document.querySelector('#media-problem') && !document.querySelector('#camera').disabled`)
	for i, p := range users {
		var others []string
		for j, q := range users {
			if j != i {
				others = append(others, q.name)
			}
		}
		p.waitRoomVideos(others...)
	}
	users[2].screenshot("room-three")
}

// blockCamera makes getUserMedia refuse video in every document the page
// opens from now, as a browser does when the user blocked the camera,
// until the document sets window.allowCamera.
func (p *page) blockCamera() {
	p.t.Helper()
	p.run(5*time.Second, "block the camera in every new document", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := cdppage.AddScriptToEvaluateOnNewDocument(blockCameraJS).Do(ctx)
		return err
	}))
}

const blockCameraJS = `(() => {
  const md = navigator.mediaDevices;
  if (!md) return;
  const real = md.getUserMedia.bind(md);
  md.getUserMedia = (c) => (c && c.video && !window.allowCamera ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) : real(c));
})();`

// registerAll registers users at once, each in a browser context of its
// own, and waits for each home page to be connected.
func registerAll(t *testing.T, browser context.Context, app *server, names ...string) []*page {
	t.Helper()
	var users []*page
	for _, n := range names {
		p := newPage(t, browser, app, n)
		p.submitRegister(e2ePassword)
		users = append(users, p)
	}
	for _, p := range users {
		p.waitHome()
	}
	return users
}

// waitRoom waits until the room page is in state and says text.
func (p *page) waitRoom(state, text string) {
	p.t.Helper()
	p.waitFor(20*time.Second, fmt.Sprintf("the room state %s saying %q", state, text), fmt.Sprintf(
		`(e => !!e && e.dataset.state === %q && e.textContent.includes(%q))(document.querySelector('#room-state'))`, state, text))
}

// roomVideosJS maps each member's name to what its <video> and peer
// connection say about the video coming from them.
const roomVideosJS = `(async () => {
  const peers = window.callapp?.peers?.() || new Map();
  const out = {};
  for (const fig of document.querySelectorAll('#tiles [data-member]')) {
    const pc = peers.get(Number(fig.dataset.id));
    let frames = -1;
    if (pc) (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames = r.framesDecoded || 0; });
    out[fig.dataset.member] = { width: fig.querySelector('video').videoWidth, frames };
  }
  return out;
})()`

// waitRoomVideos waits until the page shows exactly the members named,
// each video with frames, then checks that every one goes on decoding.
func (p *page) waitRoomVideos(members ...string) {
	p.t.Helper()
	names, _ := json.Marshal(members)
	p.waitFor(20*time.Second, fmt.Sprintf("decoded video from %v", members), fmt.Sprintf(`(async () => {
	  const v = await %s, want = %s;
	  return Object.keys(v).length === want.length && want.every((n) => v[n] && v[n].width > 0 && v[n].frames > 0);
	})()`, roomVideosJS, names))
	first := p.roomVideos()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		now, rising := p.roomVideos(), true
		for _, n := range members {
			rising = rising && now[n].Frames > first[n].Frames
		}
		if rising {
			p.t.Logf("%s: decoding video from %v: %v -> %v", p.name, members, first, now)
			return
		}
	}
	p.t.Fatalf("%s: framesDecoded stopped rising for one of %v (first %v)\n%s", p.name, members, first, p.report())
}

func (p *page) roomVideos() map[string]remoteVideo {
	p.t.Helper()
	var v map[string]remoteVideo
	if err := p.eval(roomVideosJS, &v); err != nil {
		p.t.Fatalf("%s: reading the room's videos: %v", p.name, err)
	}
	return v
}

// TestE2ERoomResume: bob's signaling connection drops while he is in a
// room of two with alice. Both go on decoding each other's video, bob's
// page says it is reconnecting and alice's shows his tile reconnecting;
// his seat is kept, so carol is told the room is full. When bob is back
// the mesh is rebuilt, both decode video again, and nobody was told he
// left.
func TestE2ERoomResume(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv()...)
	users := registerAll(t, browser, app, "alice", "bob", "carol")
	alice, bob, carol := users[0], users[1], users[2]
	meetInRoom(alice, bob, "resume")
	bob.waitRoomVideos("alice")

	bob.holdSignalDown()
	bob.waitRoom("reconnecting", "Reconnecting…")
	alice.waitFor(20*time.Second, "bob's tile saying he is reconnecting",
		`(f => !!f && f.dataset.away === 'reconnecting' && f.textContent.includes('reconnecting…'))(document.querySelector('#tiles [data-member="bob"]'))`)
	alice.screenshot("room-member-away")
	// Media needs no server: the mesh goes on through the outage.
	bob.waitRoomVideos("alice")
	alice.waitRoomVideos("bob")

	carol.navigate("/webrtc/room/resume")
	carol.waitRoom("full", "This room is full (2 people at most).")

	for _, p := range []*page{alice, bob} {
		p.markPeers()
	}
	bob.letSignalBack()
	bob.waitRoom("connected", "Connected")
	alice.waitFor(20*time.Second, "bob's tile no longer reconnecting",
		`(f => !!f && !f.dataset.away && !f.textContent.includes('reconnecting'))(document.querySelector('#tiles [data-member="bob"]'))`)
	bob.waitRoomVideos("alice")
	alice.waitRoomVideos("bob")
	for _, p := range []*page{alice, bob} {
		p.waitFor(20*time.Second, "a new connection to each member", `[...window.callapp.peers()].every(([id, pc]) => pc !== window.markedPeers.get(id))`)
	}
	alice.waitRoom("connected", "Connected")
	var notice string
	if err := alice.eval(`document.querySelector('#notice')?.textContent || ''`, &notice); err != nil || strings.Contains(notice, "left") {
		t.Errorf("alice was told %q (err %v): bob never left", notice, err)
	}
}

// TestE2ERoomSeatLost: bob's connection stays away past the grace. alice
// is told he left; bob, back, is told he left the room, and Rejoin takes
// him in again with video both ways.
func TestE2ERoomSeatLost(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv("CALLAPP_CALL_RESUME_GRACE=1s")...)
	users := registerAll(t, browser, app, "alice", "bob")
	alice, bob := users[0], users[1]
	meetInRoom(alice, bob, "lost")

	bob.holdSignalDown()
	bob.waitRoom("reconnecting", "Reconnecting…")
	alice.waitRoom("bye", "bob left; waiting for others.")
	bob.letSignalBack()
	bob.waitRoom("lost", "you left the room")
	bob.waitFor(20*time.Second, "no connection kept", `window.callapp.peers().size === 0 && !document.querySelector('#tiles [data-member]')`)
	bob.screenshot("room-seat-lost")
	bob.click("#rejoin")
	bob.waitRoom("connected", "Connected")
	alice.waitRoomVideos("bob")
	bob.waitRoomVideos("alice")
}

// TestE2ERoomReloadAndWalkAway: bob reloads the room page and is in the
// room again with video both ways; then he goes to the home page without
// pressing Leave. The hub keeps his seat for the grace and hands it to the
// home page, which gives it back at once: alice hears that he left long
// before the grace would pass.
func TestE2ERoomReloadAndWalkAway(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	// A grace longer than any wait below: only the home page's giving the
	// seat back tells alice in time.
	app := startApp(t, e2eEnv("CALLAPP_CALL_RESUME_GRACE=60s")...)
	users := registerAll(t, browser, app, "alice", "bob")
	alice, bob := users[0], users[1]
	meetInRoom(alice, bob, "reload")

	bob.run(15*time.Second, "reload the room page", chromedp.Reload())
	bob.waitRoom("connected", "Connected")
	bob.waitRoomVideos("alice")
	alice.waitRoomVideos("bob")

	bob.navigate("/webrtc/in")
	bob.waitConnected()
	alice.waitRoom("bye", "bob left; waiting for others.")
	bob.waitFor(20*time.Second, "no error said on the home page", `!document.querySelector('#notice')`)
}

// holdSignalDown closes the page's signaling websocket, as a network drop
// would, and keeps its reconnects failing (they go to a path of the server
// that answers 404) until letSignalBack. The page and its peer connections
// stay.
func (p *page) holdSignalDown() {
	p.t.Helper()
	var ok bool
	js := `(s => { if (!s?.ws) return false; s.heldURL = s.url; s.url = s.url + '-held'; s.ws.close(); return true; })(window.callapp?.signal)`
	if err := p.eval(js, &ok); err != nil || !ok {
		p.t.Fatalf("%s: closing the signaling socket (open: %v): %v", p.name, ok, err)
	}
}

// letSignalBack lets the page reconnect at once, as its own reconnect
// would (asking to resume).
func (p *page) letSignalBack() {
	p.t.Helper()
	var ok bool
	if err := p.eval(`(s => { s.url = s.heldURL; s.connect(true); return true; })(window.callapp.signal)`, &ok); err != nil || !ok {
		p.t.Fatalf("%s: reconnecting: %v", p.name, err)
	}
}

// markPeers remembers the room page's peer connections, to tell later
// whether they were replaced.
func (p *page) markPeers() {
	p.t.Helper()
	var n int
	if err := p.eval(`(window.markedPeers = window.callapp.peers()).size`, &n); err != nil || n == 0 {
		p.t.Fatalf("%s: reading the peer connections (%d): %v", p.name, n, err)
	}
}

// meetInRoom takes first, then second into room and waits until first
// decodes second's video.
func meetInRoom(first, second *page, room string) {
	first.navigate("/webrtc/room/" + room)
	first.waitRoom("waiting", "Waiting for others")
	second.navigate("/webrtc/room/" + room)
	second.waitRoom("connected", "Connected")
	first.waitRoomVideos(second.name)
}
