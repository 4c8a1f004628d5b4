package main

// Browser test of ringing (TestE2ERing), with the spies and window
// controls it needs.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// notificationSpyJS wraps window.Notification, still showing each
// notification, and records each one's title, body and closing in
// window.callappNotifications.
const notificationSpyJS = `(() => {
  const Real = window.Notification;
  if (!Real) return;
  const shown = window.callappNotifications = [];
  window.Notification = class extends Real {
    constructor(title, options = {}) {
      super(title, options);
      shown.push({ title, body: options.body || '', closed: false, notification: this });
    }
    close() {
      const r = shown.find((x) => x.notification === this);
      if (r) r.closed = true;
      super.close();
    }
  };
})();`

// audioSpyJS records the page's AudioContexts in window.callappAudio, and
// its calls of navigator.vibrate (pattern and answer) in
// window.callappVibrations.
const audioSpyJS = `(() => {
  const Real = window.AudioContext;
  const made = window.callappAudio = [];
  window.AudioContext = class extends Real {
    constructor(...args) { super(...args); made.push(this); }
  };
  const vibrate = navigator.vibrate.bind(navigator);
  const calls = window.callappVibrations = [];
  navigator.vibrate = (pattern) => { const ok = vibrate(pattern); calls.push({ pattern, ok }); return ok; };
})();`

// addScript runs js in every document the page opens from now on, before
// the document's own scripts.
func (p *page) addScript(js string) {
	p.t.Helper()
	p.run(5*time.Second, "add a script to new documents", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := cdppage.AddScriptToEvaluateOnNewDocument(js).Do(ctx)
		return err
	}))
}

// grantPermissions lets the page's origin use the given permissions (and
// refuses the others, so a test of calls must name the camera's too).
func (p *page) grantPermissions(perms ...browser.PermissionType) {
	p.t.Helper()
	c := chromedp.FromContext(p.ctx)
	exec := cdp.WithExecutor(p.ctx, c.Browser)
	info, err := target.GetTargetInfo().WithTargetID(c.Target.TargetID).Do(exec)
	if err == nil {
		err = browser.GrantPermissions(perms).WithOrigin(p.app.url).WithBrowserContextID(info.BrowserContextID).Do(exec)
	}
	if err != nil {
		p.t.Fatalf("%s: granting %v: %v", p.name, perms, err)
	}
}

// setWindowState minimizes the page's window or brings it back: a
// minimized window's document is hidden (docs/testing.md).
func (p *page) setWindowState(state browser.WindowState) {
	p.t.Helper()
	p.run(5*time.Second, "set the window "+string(state), chromedp.ActionFunc(func(ctx context.Context) error {
		id, _, err := browser.GetWindowForTarget().Do(ctx)
		if err != nil {
			return err
		}
		return browser.SetWindowBounds(id, &browser.Bounds{WindowState: state}).Do(ctx)
	}))
}

// waitTitleFlash waits for the title to alternate: the ring's words, then
// the page's own title, then the ring's words again.
func (p *page) waitTitleFlash(ring, title string) {
	p.t.Helper()
	for _, want := range []string{ring, title, ring} {
		p.waitFor(20*time.Second, fmt.Sprintf("the title %q", want), fmt.Sprintf(`document.title === %q`, want))
	}
}

// TestE2ERing: how a callee notices a call. In a browser that keeps audio
// silent until a gesture (as browsers people use do), bob opens his page
// and touches nothing. On a phone scrolled down to the chat, an incoming
// call shows its sheet on screen with focus on Accept, announces itself
// and asks for a click to be heard; a click starts the sound, and a notice
// during the call shows over it. While he types in the chat, a call leaves
// focus where he types. With his tab in the background, a call shows a
// system notification and flashes the title, and clicking the notification
// accepts. Then alice, an admin on the dashboard, is online there, is
// called and accepts there.
func TestE2ERing(t *testing.T) {
	t.Parallel()
	requireBrowser(t) // the checks; this test's browser is its own
	gb := &browserHost{gestureAudio: true}
	t.Cleanup(gb.close)
	browserCtx, err := gb.get()
	if err != nil {
		t.Fatalf("starting chromium: %v\n%s", err, gb.out.String())
	}
	app := startApp(t, e2eEnv()...)
	alice, bob := twoUsers(t, browserCtx, app) // alice, the first account, is the admin

	// alice has not been asked: her home page offers call alerts. bob has
	// allowed them (and the camera: granting refuses what it does not name).
	alice.waitFor(20*time.Second, "the button offering call alerts",
		`document.querySelector('#call-alerts')?.textContent.trim() === 'Get call alerts when this tab is in the background'`)
	bob.grantPermissions(browser.PermissionTypeNotifications, browser.PermissionTypeAudioCapture, browser.PermissionTypeVideoCapture)
	bob.addScript(notificationSpyJS)
	bob.addScript(audioSpyJS)
	// A fresh document: the click that registered bob was on another one.
	bob.navigate("/webrtc/in")
	bob.waitConnected()
	bob.waitFor(20*time.Second, "no call-alerts button once allowed", `!document.querySelector('#call-alerts') && Notification.permission === 'granted'`)
	var title string
	if err := bob.eval(`document.title`, &title); err != nil {
		t.Fatal(err)
	}

	t.Run("Phone", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		bob.run(5*time.Second, "phone size", chromedp.EmulateViewport(viewports[1].w, viewports[1].h))
		bob.waitFor(20*time.Second, "a suspended AudioContext before any gesture", `window.callappAudio?.length === 1 && window.callappAudio[0].state === 'suspended'`)
		bob.run(5*time.Second, "scroll to the chat", chromedp.Evaluate(`window.scrollTo(0, document.documentElement.scrollHeight); true`, nil))
		bob.waitFor(20*time.Second, "the page scrolled to the bottom, the chat on screen", `(() => {
		  const r = document.querySelector('#chat-input').getBoundingClientRect();
		  return scrollY > 0 && scrollY + innerHeight >= document.documentElement.scrollHeight - 1 && r.bottom <= innerHeight && r.top >= 0;
		})()`)

		alice.call("bob")
		bob.waitFor(20*time.Second, "the incoming sheet on screen, focus on Accept, the announcement and the sound hint", `(() => {
		  const inside = (e) => { const r = e?.getBoundingClientRect(); return !!r && r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; };
		  const accept = document.querySelector('#accept'), reject = document.querySelector('#reject');
		  return inside(document.querySelector('#incoming')) && inside(accept) && inside(reject) &&
		    accept.getBoundingClientRect().height >= 44 && reject.getBoundingClientRect().height >= 44 &&
		    document.activeElement === accept && scrollY + innerHeight >= document.documentElement.scrollHeight - 1 &&
		    document.querySelector('#incoming-name').textContent === 'alice' &&
		    document.querySelector('#ring-announce').textContent.trim() === 'alice is calling you' &&
		    document.querySelector('#sound-hint')?.textContent.trim() === 'Click anywhere to enable sound' &&
		    window.callappAudio[0].state === 'suspended';
		})()`)
		bob.screenshot("ring-incoming")
		bob.run(5*time.Second, "phone size again", chromedp.EmulateViewport(viewports[1].w, viewports[1].h))

		// Any click resumes the audio; the hint goes once the ring is heard.
		bob.click("#incoming-who")
		bob.waitFor(20*time.Second, "the AudioContext running and the hint gone",
			`window.callappAudio[0].state === 'running' && !document.querySelector('#sound-hint') && !!document.querySelector('#accept')`)
		// A phone vibrates with each ring, once a gesture allows it.
		bob.waitFor(20*time.Second, "a vibration", `window.callappVibrations.some((v) => v.ok && Array.isArray(v.pattern) && v.pattern.length > 1)`)
		bob.click("#accept")
		alice.waitVideo()
		bob.waitVideo()
		// A notice during the call shows over it, on screen though the page
		// under the call is scrolled.
		bob.run(5*time.Second, "a notice", chromedp.Evaluate(`window.callapp.vm.say('A notice'); true`, nil))
		bob.waitFor(20*time.Second, "the notice on screen over the call", `(() => {
		  const n = document.querySelector('#notice');
		  if (!n) return false;
		  const r = n.getBoundingClientRect();
		  n.style.pointerEvents = 'auto'; // hit testing skips what taps go through
		  const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		  n.style.pointerEvents = '';
		  return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && n.contains(top);
		})()`)
		// Between rings the audio context rests: a running one keeps the
		// audio device busy.
		bob.waitFor(20*time.Second, "the vibration stopped, the audio suspended, the announcement cleared and the title back", fmt.Sprintf(
			`window.callappVibrations.at(-1).pattern === 0 && window.callappAudio[0].state === 'suspended' &&
			  document.querySelector('#ring-announce').textContent.trim() === '' && document.title === %q`, title))
		bob.click("#hangup")
		alice.waitIdle()
		bob.waitIdle()
	})

	// While bob types in the chat, a call shows its sheet and announces
	// itself but leaves focus where he types: his next Space goes into his
	// message, not to Accept.
	t.Run("Typing", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		bob.run(20*time.Second, "type in the chat", chromedp.SendKeys("#chat-input", "see you", chromedp.ByQuery))
		alice.call("bob")
		bob.waitFor(20*time.Second, "the sheet announced, focus still in the chat", `!!document.querySelector('#accept') &&
		  document.querySelector('#ring-announce').textContent.trim() === 'alice is calling you' && document.activeElement?.id === 'chat-input'`)
		bob.run(20*time.Second, "type on", chromedp.KeyEvent(" soon"))
		bob.waitFor(20*time.Second, "the words typed and the call still ringing",
			`document.querySelector('#chat-input').value === 'see you soon' && !!document.querySelector('#accept')`)
		bob.click("#reject")
		alice.waitIdle()
		bob.waitIdle()
		bob.run(5*time.Second, "clear the chat draft", chromedp.Evaluate(`window.callapp.vm.draft = ''`, nil))
	})

	t.Run("BackgroundTab", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		bob.setWindowState(browser.WindowStateMinimized)
		bob.waitFor(20*time.Second, "bob's page hidden", `document.visibilityState === 'hidden'`)
		alice.call("bob")
		bob.waitFor(20*time.Second, "a notification of alice's call", `(window.callappNotifications || []).some((n) =>
		  n.title === 'alice is calling you' && n.body === 'Click this notification to answer.' && !n.closed)`)
		bob.waitTitleFlash("📞 alice is calling…", title)

		// Clicking the notification accepts while the page is still hidden;
		// the window comes back as the system would bring it up.
		bob.run(5*time.Second, "click the notification", chromedp.Evaluate(
			`window.callappNotifications.find((n) => !n.closed).notification.dispatchEvent(new Event('click'))`, nil))
		bob.waitFor(20*time.Second, "the call accepted, the notification closed and the title back",
			fmt.Sprintf(`['connecting', 'active'].includes(document.querySelector('#call-phase')?.dataset.phase) &&
			  window.callappNotifications.every((n) => n.closed) && document.title === %q && !document.querySelector('#incoming')`, title))
		bob.setWindowState(browser.WindowStateNormal)
		alice.waitVideo()
		bob.waitVideo()
		alice.click("#hangup")
		alice.waitIdle()
		bob.waitIdle()
	})

	t.Run("Admin", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		alice.navigate("/webrtc/admin")
		alice.waitFor(20*time.Second, "the dashboard connected", `document.querySelector('#conn')?.classList.contains('conn-open')`)
		// The dashboard lists alice herself online now, without a Call button.
		alice.waitFor(20*time.Second, "alice and bob in Online now", `(() => {
		  const li = (u) => document.querySelector('#online li[data-user="' + u + '"]');
		  return !!li('alice') && !li('alice').querySelector('.call-btn') && !!li('bob')?.querySelector('.call-btn');
		})()`)
		callWithVideo(bob, alice, func() {
			alice.waitFor(20*time.Second, "focus on Accept and the stage hidden while ringing",
				`document.activeElement?.id === 'accept' && !document.querySelector('#admin-stage')`)
		})
		alice.waitFor(20*time.Second, "the call on the dashboard's stage", `!!document.querySelector('#admin-stage #remote') && !!document.querySelector('#figures')`)
		alice.screenshot("ring-admin-in-call", "#admin-stage")
		alice.click("#hangup")
		alice.waitFor(20*time.Second, "the stage gone and the dashboard listing the call", `!document.querySelector('#admin-stage') &&
		  [...document.querySelectorAll('#calls tr[data-call]')].some((tr) => tr.cells[0].textContent.trim() === 'bob' && tr.cells[1].textContent.trim() === 'alice' && tr.cells[3].textContent.trim() !== '–')`)
		bob.waitIdle()
		bob.waitNotice("alice hung up")
	})
}
