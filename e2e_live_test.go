package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestE2ELive: alice goes live from the home page with her camera
// blocked, which her page explains; bob and carol follow the Watch link;
// once she allows the camera and presses Retry both decode her video over
// receive-only connections (they ask for no camera); alice sees two viewers; dave, the admin, finds
// the broadcast and its viewers in the dashboard, and is told it is full
// when he tries to watch too; alice stops and both viewer pages say the
// broadcast ended. A made-up id gets a page saying there is no such
// broadcast.
func TestE2ELive(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv("CALLAPP_LIVE_MAX_VIEWERS=2")...)
	// dave registers first, so he is the admin (ADMIN_USERNAMES is empty).
	dave := newPage(t, browser, app, "dave")
	dave.register(e2ePassword)
	alice, bob, carol := newPage(t, browser, app, "alice"), newPage(t, browser, app, "bob"), newPage(t, browser, app, "carol")
	alice.blockCamera()
	for _, p := range []*page{alice, bob, carol} {
		p.submitRegister(e2ePassword)
	}
	for _, p := range []*page{alice, bob, carol} {
		p.waitHome()
	}

	alice.run(20*time.Second, "type a title", chromedp.SendKeys("#live-title-input", "Morning show", chromedp.ByQuery))
	alice.click("#go-live")
	alice.waitFor(20*time.Second, "the broadcast to be live", `document.querySelector('#my-live-phase')?.dataset.phase === 'live'`)
	alice.waitFor(20*time.Second, "the blocked camera explained", `(() => {
	  const t = document.querySelector('#live-problem')?.textContent || '';
	  return t.includes('Your camera is blocked for this site.') && t.includes('address bar') && t.includes('Viewers hear you but do not see you.');
	})()`)

	for _, v := range []*page{bob, carol} {
		watch := `#lives li[data-user="alice"] a.watch-btn`
		v.waitFor(20*time.Second, "alice's broadcast in the list with a Watch link",
			fmt.Sprintf(`!!document.querySelector(%q) && document.querySelector('#lives li[data-user="alice"]').textContent.includes('Morning show')`, watch))
		// Clicked in the page, not at coordinates: the list re-renders as
		// viewer counts arrive, and a mouse click could land beside the link.
		v.run(5*time.Second, "click Watch", chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).click()`, watch), nil))
		v.waitFor(20*time.Second, "the viewer page", `location.pathname.startsWith('/webrtc/live/') && !!window.callapp`)
	}
	alice.waitFor(20*time.Second, "two viewers counted", `document.querySelector('#my-live-viewers')?.textContent.trim() === '2'`)
	alice.run(5*time.Second, "allow the camera", chromedp.Evaluate(`window.allowCamera = true`, nil))
	alice.click("#live-retry")
	alice.waitFor(20*time.Second, "the problem gone", `!document.querySelector('#live-problem')`)
	for _, v := range []*page{bob, carol} {
		v.waitVideo()
		var recvOnly bool
		if err := v.eval(`window.callapp.peer().getTransceivers().every((t) => t.currentDirection === 'recvonly')`, &recvOnly); err != nil || !recvOnly {
			t.Errorf("%s: the viewer's connection is not receive-only (%v, err %v)", v.name, recvOnly, err)
		}
	}
	alice.waitFor(20*time.Second, "two viewers counted", `document.querySelector('#my-live-viewers')?.textContent.trim() === '2'`)
	bob.waitFor(20*time.Second, "the title and count on the viewer page",
		`document.querySelector('#live-title')?.textContent === 'Morning show' && document.querySelector('#live-viewers')?.textContent === '2'`)
	alice.screenshot("live-broadcaster")

	dave.navigate("/webrtc/admin")
	dave.waitFor(20*time.Second, "the broadcast and its two viewers in the dashboard", `[...document.querySelectorAll('#broadcasts tr[data-live]')].some((tr) => {
	  const td = [...tr.cells].map((c) => c.textContent.trim());
	  return td[0] === 'Morning show' && td[1] === 'alice' && td[2].startsWith('2:') && td[2].includes('bob') && td[2].includes('carol');
	})`)
	dave.navigate("/webrtc/in")
	dave.waitConnected()
	dave.click(`#lives li[data-user="alice"] a.watch-btn`)
	dave.waitFor(20*time.Second, "the page to say the broadcast is full",
		`document.querySelector('#live-state')?.dataset.phase === 'over' && document.querySelector('#live-state').textContent.includes('This broadcast is full (2 viewers)')`)
	bob.screenshot("live-viewer")

	alice.click("#stop-live")
	for _, v := range []*page{bob, carol} {
		v.waitFor(20*time.Second, "the page to say the broadcast ended",
			`document.querySelector('#live-state')?.dataset.phase === 'over' && document.querySelector('#live-state').textContent.includes('The broadcast has ended.') && !window.callapp.peer()`)
	}
	alice.waitIdle()
	alice.waitNotice("Your broadcast has ended")
	bob.screenshot("live-ended")

	carol.navigate("/webrtc/live/0123456789abcdef0123456789abcdef")
	carol.waitFor(20*time.Second, "the page to say there is no such broadcast",
		`document.querySelector('#live-state')?.dataset.phase === 'over' && document.querySelector('#live-state').textContent.includes('no such broadcast')`)
	bob.click("#leave")
	bob.waitHome()
}

// TestE2ELiveResume: alice's signaling connection drops while she
// broadcasts to bob. Her broadcast goes on (bob keeps decoding it), her
// page says it is reconnecting and bob's that the broadcaster is; when she
// is back she offers to bob afresh and bob decodes her video over the new
// connection.
func TestE2ELiveResume(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv()...)
	users := registerAll(t, browser, app, "alice", "bob")
	alice, bob := users[0], users[1]
	alice.run(20*time.Second, "type a title", chromedp.SendKeys("#live-title-input", "Through the storm", chromedp.ByQuery))
	alice.click("#go-live")
	alice.waitFor(20*time.Second, "the broadcast to be live", `document.querySelector('#my-live-phase')?.dataset.phase === 'live'`)
	alice.waitFor(20*time.Second, "the broadcast in the list", `!!document.querySelector('#lives li[data-user="alice"]')`)
	var liveID string
	if err := alice.eval(`document.querySelector('#lives li[data-user="alice"]').dataset.live`, &liveID); err != nil {
		t.Fatal(err)
	}
	bob.navigate("/webrtc/live/" + liveID)
	bob.waitVideo()
	alice.waitFor(20*time.Second, "one viewer counted", `document.querySelector('#my-live-viewers')?.textContent.trim() === '1'`)

	alice.holdSignalDown()
	alice.waitFor(20*time.Second, "the broadcast saying it is reconnecting",
		`(e => !!e && e.dataset.phase === 'reconnecting' && e.textContent.includes('reconnecting…'))(document.querySelector('#my-live-phase'))`)
	bob.waitFor(20*time.Second, "the page saying the broadcaster is reconnecting",
		`(document.querySelector('#live-away')?.textContent || '').includes('The broadcaster is reconnecting…')`)
	bob.screenshot("live-broadcaster-away")
	bob.waitVideo() // media needs no server

	var marked bool
	if err := bob.eval(`!!(window.markedPeer = window.callapp.peer())`, &marked); err != nil || !marked {
		t.Fatalf("bob: no peer connection to mark (%v)", err)
	}
	alice.letSignalBack()
	alice.waitFor(20*time.Second, "the broadcast live again", `document.querySelector('#my-live-phase')?.dataset.phase === 'live'`)
	bob.waitFor(20*time.Second, "the reconnecting word gone and a new connection",
		`!document.querySelector('#live-away') && !!window.callapp.peer() && window.callapp.peer() !== window.markedPeer`)
	bob.waitVideo()
	alice.waitFor(20*time.Second, "one viewer, over one connection",
		`document.querySelector('#my-live-viewers')?.textContent.trim() === '1' && window.callapp.viewers().size === 1`)
}
