package main

// Browser tests: real Chromium pages against the real server, inside a
// network namespace of their own (see e2e_helpers_test.go). Run only these
// with `go test -race -run E2E .`; screenshots go to $CALLAPP_TEST_OUTPUT or
// test-output/.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

const e2ePassword = "correct horse battery"

// xss is a chat message that would run script if the page rendered it as
// HTML.
const xss = `<img src=x onerror=alert(1)>`

// TestE2ECall is the whole story: two people register, one calls, the other
// accepts, both see each other's video (speaking rings, full screen), they
// chat, hang up, and the admin finds the call in the dashboard.
func TestE2ECall(t *testing.T) {
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv()...)

	// alice registers first, so she is the admin (ADMIN_USERNAMES is empty).
	alice := newPage(t, browser, app, "alice")
	alice.navigate("/webrtc/login")
	alice.screenshot("login")
	alice.navigate("/webrtc/register")
	alice.screenshot("register")
	alice.register(e2ePassword)
	alice.waitFor(20*time.Second, "the Admin link for the first account", `!!document.querySelector('a[href="/webrtc/admin"]')`)

	bob := newPage(t, browser, app, "bob")
	bob.register(e2ePassword)
	var bobAdmin bool
	if err := bob.eval(`!!document.querySelector('a[href="/webrtc/admin"]')`, &bobAdmin); err != nil || bobAdmin {
		t.Errorf("bob, the second account, has an Admin link (%v) or the page is unreadable (%v)", bobAdmin, err)
	}

	alice.waitFor(20*time.Second, "bob in the online list", `!!document.querySelector('#users li[data-user="bob"]')`)
	bob.waitFor(20*time.Second, "alice in the online list", `!!document.querySelector('#users li[data-user="alice"]')`)
	alice.screenshot("home-idle")
	alice.clocksStill()

	callWithVideo(alice, bob, func() { bob.screenshot("incoming") })
	alice.waitFor(20*time.Second, "the call timer ticking", `(() => {
	  const t = document.querySelector('#call-phase')?.textContent.trim();
	  return /^\d\d:\d\d$/.test(t) && t !== '00:00';
	})()`)
	alice.screenshot("home-in-call")

	// The fake microphones beep: each side sees the other's speaking ring
	// around the video and its own around the self-view.
	for _, p := range []*page{alice, bob} {
		p.waitFor(20*time.Second, "the other side's speaking ring", `!!document.querySelector('.video-wrap.speaking')`)
		p.waitFor(20*time.Second, "one's own speaking ring", `!!document.querySelector('#self-view.speaking')`)
	}
	// Full screen holds the call stage alone, and gives the page back.
	alice.click("#fullscreen")
	alice.waitFor(20*time.Second, "the call in full screen",
		`document.fullscreenElement?.classList.contains('call-stage') && document.querySelector('#fullscreen').getAttribute('aria-pressed') === 'true'`)
	alice.click("#fullscreen")
	alice.waitFor(20*time.Second, "full screen left", `!document.fullscreenElement && document.querySelector('#fullscreen').getAttribute('aria-pressed') === 'false'`)

	// Chat during the call: A's message reaches B as text, never as HTML.
	alice.run(20*time.Second, "send a chat message with Enter", chromedp.SendKeys("#chat-input", xss+kb.Enter, chromedp.ByQuery))
	bob.waitFor(20*time.Second, "alice's message in the chat",
		fmt.Sprintf(`[...document.querySelectorAll('#chatlog li .text')].some((e) => e.textContent === %q)`, xss))
	for _, p := range []*page{alice, bob} {
		var imgs int
		if err := p.eval(`document.querySelectorAll('#chatlog img').length`, &imgs); err != nil || imgs != 0 {
			t.Errorf("%s: %d img elements in #chatlog (err %v): the message was rendered as HTML", p.name, imgs, err)
		}
	}

	bob.click("#hangup")
	bob.waitIdle()
	alice.waitIdle()
	alice.waitNotice("bob hung up")
	alice.waitFor(20*time.Second, "the call in alice's history",
		`[...document.querySelectorAll('#history li')].some((li) => li.querySelector('.name')?.textContent === 'bob' && li.textContent.includes('Outgoing'))`)
	bob.waitFor(20*time.Second, "the call in bob's history",
		`[...document.querySelectorAll('#history li')].some((li) => li.querySelector('.name')?.textContent === 'alice' && li.textContent.includes('Incoming'))`)
	alice.clocksStill()

	// The admin dashboard lists the finished call with its duration.
	alice.navigate("/webrtc/admin")
	alice.waitFor(20*time.Second, "the finished call in #calls", `[...document.querySelectorAll('#calls tr[data-call]')].some((tr) => {
	  const td = [...tr.cells].map((c) => c.textContent.trim());
	  return td[0] === 'alice' && td[1] === 'bob' && /^\d+:\d\d$/.test(td[3]) && td[4] === 'Hung up';
	})`)
	var row []string
	if err := alice.eval(`[...document.querySelector('#calls tr[data-call]').cells].map((c) => c.textContent.trim())`, &row); err == nil {
		t.Logf("admin sees the call: %q", row)
	}
	alice.waitFor(20*time.Second, "the chat message, as text, in moderation",
		fmt.Sprintf(`[...document.querySelectorAll('#messages td.text')].some((e) => e.textContent === %q) && !document.querySelector('#messages img')`, xss))
	alice.screenshot("admin")

	for _, p := range []*page{alice, bob} {
		if p.dialogCount() > 0 {
			t.Errorf("%s: a JavaScript dialog opened:\n%s", p.name, p.report())
		}
	}
}

// clocksStill checks that an idle home page redraws nothing each second:
// the call timer's clock stands still, and the one of times said relative
// to now ticks at most once (it may be its time).
func (p *page) clocksStill() {
	p.t.Helper()
	var ticks struct{ Call, Page int }
	if err := p.eval(`(async () => {
	  const vm = window.callapp.vm, ticks = { call: 0, page: 0 };
	  const stop = [vm.$watch('callNow', () => { ticks.call++; }), vm.$watch('now', () => { ticks.page++; })];
	  await new Promise((r) => { setTimeout(r, 2500); });
	  stop.forEach((f) => f());
	  return ticks;
	})()`, &ticks); err != nil || ticks.Call != 0 || ticks.Page > 1 {
		p.t.Errorf("%s: an idle page's clocks ticked (call timer %d, relative times %d) in seconds (err %v)", p.name, ticks.Call, ticks.Page, err)
	}
}

// TestE2ERinging covers the ways a call ends before it starts, with one
// pair of users (registering costs seconds of bcrypt under -race).
func TestE2ERinging(t *testing.T) {
	browser := requireBrowser(t)
	// A short ring, so that the no-answer case is quick; the others answer
	// within a second.
	app := startApp(t, e2eEnv("CALLAPP_CALL_RING_TIMEOUT=4s")...)
	alice, bob := twoUsers(t, browser, app)

	// B rejects: A is told, and both are back to idle.
	t.Run("Reject", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		alice.call("bob")
		bob.waitFor(20*time.Second, "the incoming call dialog", `!!document.querySelector('#reject')`)
		bob.click("#reject")
		alice.waitNotice("rejected")
		alice.waitIdle()
		bob.waitIdle()
	})

	// A gives up before B answers: B's dialog goes and B is told of the
	// missed call.
	t.Run("CallerCancels", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		alice.call("bob")
		bob.waitFor(20*time.Second, "the incoming call dialog", `!!document.querySelector('#accept')`)
		alice.waitFor(20*time.Second, "the ringing state with a Cancel button",
			`document.querySelector('#call-phase')?.dataset.phase === 'ringing' && document.querySelector('#hangup')?.textContent.trim() === 'Cancel'`)
		alice.click("#hangup")
		alice.waitIdle()
		bob.waitFor(20*time.Second, "the incoming dialog to go", `!document.querySelector('#accept') && !document.querySelector('#reject')`)
		bob.waitIdle()
		bob.waitNotice("Missed call from alice")
	})

	// A cancels in the instant between sending the invite and the server's
	// 10017 (too quick for a click, so the page's own methods are called in
	// one go): the call must still end as cancelled, not ring on at B.
	t.Run("CancelBeforeRinging", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		var sent bool
		err := alice.eval(`(async () => {
		  const vm = window.callapp.vm;
		  await vm.startCall(vm.others.find((u) => u.username === 'bob'));
		  const sent = vm.call?.phase === 'calling' && !vm.call.callId;
		  vm.hangup();
		  return sent;
		})()`, &sent)
		if err != nil || !sent {
			t.Fatalf("invite then cancel at once: sent %v, err %v\n%s", sent, err, alice.report())
		}
		alice.waitFor(20*time.Second, "the call recorded as cancelled", `fetch('/webrtc/api/calls?limit=1').then((r) => r.json())
		  .then((b) => b.data?.[0]?.ended === true && b.data[0].endReason === 'cancelled')`)
		bob.waitIdle()
		alice.waitIdle()
	})

	// Nobody answers: after the ring timeout A hears "no answer" and B
	// sees a missed call.
	t.Run("NoAnswer", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		alice.call("bob")
		bob.waitFor(20*time.Second, "the incoming call dialog", `!!document.querySelector('#accept')`)
		alice.waitNotice("No answer from bob")
		bob.waitNotice("Missed call from alice")
		alice.waitIdle()
		bob.waitIdle()
	})
}

// callWithVideo has caller call callee, who accepts; then each must decode
// the other's video. atIncoming, when not nil, runs while the callee's
// incoming-call dialog shows.
func callWithVideo(caller, callee *page, atIncoming func()) {
	caller.t.Helper()
	caller.call(callee.name)
	callee.waitFor(20*time.Second, "the incoming call dialog",
		fmt.Sprintf(`!!document.querySelector('#accept') && document.querySelector('#incoming-name')?.textContent === %q`, caller.name))
	if atIncoming != nil {
		atIncoming()
	}
	callee.click("#accept")
	caller.waitVideo()
	callee.waitVideo()
}

// twoUsers registers alice and bob at once, in browser contexts of their
// own, and waits until each sees the other online.
func twoUsers(t *testing.T, browser context.Context, app *server) (*page, *page) {
	t.Helper()
	alice, bob := newPage(t, browser, app, "alice"), newPage(t, browser, app, "bob")
	alice.submitRegister(e2ePassword)
	bob.submitRegister(e2ePassword)
	alice.waitHome()
	bob.waitHome()
	alice.waitFor(20*time.Second, "bob online", `!!document.querySelector('#users li[data-user="bob"]')`)
	bob.waitFor(20*time.Second, "alice online", `!!document.querySelector('#users li[data-user="alice"]')`)
	return alice, bob
}
