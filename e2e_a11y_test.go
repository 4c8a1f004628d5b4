package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeFile is axe-core, vendored for tests only (testdata/axe-core/README.md).
const axeFile = "testdata/axe-core/axe.min.js"

// axeRunJS runs axe's WCAG 2.0, 2.1 and 2.2 A and AA rules on the page and
// returns the nodes of serious and critical violations.
const axeRunJS = `axe.run(document, {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
  resultTypes: ['violations'],
}).then((r) => r.violations.flatMap((v) => v.nodes
  .filter((n) => n.impact === 'serious' || n.impact === 'critical')
  .map((n) => ({ rule: v.id, impact: n.impact, help: v.help, target: n.target.join(' '), summary: n.failureSummary }))))`

// settleJS waits for layout after a resize and for CSS transitions (layui
// eases buttons between states) to end, so that colours are read at rest.
const settleJS = `new Promise((resolve) => {
  const deadline = Date.now() + 3000;
  const poll = () => requestAnimationFrame(() => {
    const moving = document.getAnimations().some((a) => a instanceof CSSTransition && a.playState === 'running');
    if (moving && Date.now() < deadline) poll(); else resolve(true);
  });
  requestAnimationFrame(poll);
})`

type axeViolation struct {
	Rule, Impact, Help, Target, Summary string
}

// smallTargetsJS lists the visible buttons, links and selects smaller than
// 44x44 CSS pixels, the size WCAG 2.5.5 asks for and Apple and Google
// recommend for fingers (axe checks only AA's 24).
const smallTargetsJS = `[...document.querySelectorAll('button, a[href], select, [role="button"]')].flatMap((el) => {
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden' || el.closest('.visually-hidden')) return [];
  if (r.width >= 43.5 && r.height >= 43.5) return [];
  const name = el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + [...el.classList].join('.');
  return [name + ' "' + (el.getAttribute('aria-label') || el.textContent).trim().slice(0, 30) + '" ' + Math.round(r.width) + 'x' + Math.round(r.height)];
})`

// callLayoutJS lists what is wrong with the call stage's layout: the
// remote video fills its area, which takes most of the screen (all of it
// on a phone); the self-view is a small picture inside it; every control
// is on screen.
const callLayoutJS = `(() => {
  const problems = [], box = (sel) => document.querySelector(sel)?.getBoundingClientRect();
  const wrap = box('.video-wrap'), remote = box('#remote'), self = box('#self-view');
  if (!wrap || !remote || !self) return ['no video area, remote video or self-view'];
  const vw = innerWidth, vh = innerHeight, phone = vw < 600;
  const near = (a, b) => Math.abs(a - b) <= 2;
  if (!near(remote.left, wrap.left) || !near(remote.right, wrap.right) || !near(remote.top, wrap.top) || !near(remote.bottom, wrap.bottom))
    problems.push('the remote video does not fill its area');
  const share = (wrap.width * wrap.height) / (vw * vh);
  if (share < (phone ? 0.95 : 0.35)) problems.push('the video area takes ' + Math.round(share * 100) + '% of the screen');
  if (self.left < wrap.left || self.right > wrap.right || self.top < wrap.top || self.bottom > wrap.bottom)
    problems.push('the self-view is outside the video area');
  if (self.width * self.height > 0.15 * wrap.width * wrap.height) problems.push('the self-view is not small: ' + Math.round(self.width) + 'x' + Math.round(self.height));
  for (const b of document.querySelectorAll('.call-controls button')) {
    const r = b.getBoundingClientRect();
    if (!r.width || getComputedStyle(b).display === 'none') continue;
    if (r.left < 0 || r.top < 0 || r.right > vw || r.bottom > vh) problems.push('#' + b.id + ' is off screen');
  }
  return problems;
})()`

// focusStopJS describes the focused element and whether its focus
// indicator shows: an outline or a ring (box-shadow) of at least 2px whose
// colour has 3:1 contrast against the first opaque background behind it.
const focusStopJS = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const seen = (window.a11ySeen ??= new WeakSet());
  if (seen.has(el)) return { repeat: true };
  seen.add(el);
  const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; })
    .reduce((s, c, i) => s + c * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  let bg = [255, 255, 255];
  for (let e = el.parentElement; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) { bg = c.slice(0, 3); break; }
  }
  const s = getComputedStyle(el);
  const colours = [];
  if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) colours.push(rgb(s.outlineColor));
  // Each shadow: a colour, offsets, blur and spread; a ring has a spread of 2px or more.
  for (const m of s.boxShadow.matchAll(/(rgba?\([^)]*\))([^,]*?)(\d+(?:\.\d+)?)px\s*(inset)?\s*(?:,|$)/g)) {
    if (!m[4] && parseFloat(m[3]) >= 2) colours.push(rgb(m[1]));
  }
  const best = Math.max(0, ...colours.filter((c) => c.length === 3 || c[3] === 1).map((c) => ratio(c.slice(0, 3), bg)));
  const name = el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + [...el.classList].join('.');
  return { name, tag: el.tagName, ok: best >= 3, contrast: Math.round(best * 100) / 100, outline: s.outline, shadow: s.boxShadow };
})()`

type focusStop struct {
	Name, Tag, Outline, Shadow string
	OK, Repeat                 bool
	Contrast                   float64
}

// TestE2EAccessibility runs axe-core on every page and state a user meets,
// at desktop and phone sizes, in English and in Chinese, and fails on any
// serious or critical WCAG 2.2 A/AA violation. At the phone size every
// visible button, link and select must be at least 44x44; on the busiest
// pages every stop of the Tab key must show a focus indicator of 3:1. In
// a call, at both sizes, the layout is measured too (callLayoutJS). Each
// language is a test of its own, with a server and users of its own: as
// parallel top-level tests both start with the first browser tests, where
// parallel subtests would wait behind all of them and run last.
func TestE2EAccessibility(t *testing.T) { auditPages(t, "en") }

func TestE2EAccessibilityChinese(t *testing.T) { auditPages(t, "zh-CN") }

// auditPages checks every page and state in lang.
func auditPages(t *testing.T, lang string) {
	t.Parallel()
	browser := requireBrowser(t)
	b, err := os.ReadFile(axeFile)
	if err != nil {
		t.Fatalf("reading axe-core: %v", err)
	}
	axe := string(b)
	// A long ring: the callee's page is checked while it rings.
	app := startApp(t, e2eEnv("CALLAPP_ADMIN_USERNAMES=alice", "CALLAPP_CALL_RING_TIMEOUT=60s")...)
	guest := newPage(t, browser, app, "guest")
	alice, bob := twoUsers(t, browser, app)
	a := &auditor{t: t, axe: axe, injected: map[*tab]bool{}, lang: lang}
	for _, p := range []*page{guest, alice, bob} {
		p.setLang(lang)
	}

	guest.navigate("/webrtc/login")
	guest.waitFor(20*time.Second, "the login form", `!document.querySelector('[v-cloak]') && !!document.querySelector('#username')`)
	a.check(guest, "login")
	guest.navigate("/webrtc/register")
	guest.waitFor(20*time.Second, "the register form", `!document.querySelector('[v-cloak]') && !!document.querySelector('#username')`)
	a.check(guest, "register")
	guest.navigate("/webrtc/no-such-page")
	guest.waitFor(20*time.Second, "the 404 page", `!!document.querySelector('#error-heading')`)
	a.check(guest, "not-found")

	alice.navigate("/webrtc/in")
	alice.waitConnected()
	bob.navigate("/webrtc/in")
	bob.waitConnected()
	alice.waitFor(20*time.Second, "bob online", `!!document.querySelector('#users li[data-user="bob"]')`)
	a.check(alice, "home")

	alice.call("bob")
	bob.waitFor(20*time.Second, "the incoming call", `!!document.querySelector('#accept')`)
	a.check(bob, "home-incoming")
	bob.click("#accept")
	// What the page shows, not the media, is checked: no need to wait for frames.
	for _, p := range []*page{alice, bob} {
		p.waitFor(20*time.Second, "the call to be connected", `document.querySelector('#call-state')?.dataset.state === 'connected'`)
	}
	a.check(alice, "home-call-caller")
	a.check(bob, "home-call-callee")
	bob.click("#hangup")
	alice.waitIdle()
	bob.waitIdle()

	alice.run(20*time.Second, "type a broadcast title", chromedp.SendKeys("#live-title-input", "Morning show", chromedp.ByQuery))
	alice.click("#go-live")
	alice.waitFor(20*time.Second, "the broadcast to be live", `document.querySelector('#my-live-phase')?.dataset.phase === 'live'`)
	watch := `#lives li[data-user="alice"] a.watch-btn`
	bob.waitFor(20*time.Second, "alice's broadcast with a Watch link", fmt.Sprintf(`!!document.querySelector(%q)`, watch))
	bob.run(5*time.Second, "click Watch", chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).click()`, watch), nil))
	bob.waitFor(20*time.Second, "the viewer page", `location.pathname.startsWith('/webrtc/live/') && !!window.callapp`)
	bob.waitFor(20*time.Second, "the broadcast playing", `!document.querySelector('#live-state') && document.querySelector('#remote')?.videoWidth > 0`)
	a.check(alice, "home-broadcasting")
	a.check(bob, "live-viewer")
	alice.click("#stop-live")
	bob.waitFor(20*time.Second, "the broadcast to end", `document.querySelector('#live-state')?.dataset.phase === 'over'`)
	a.check(bob, "live-ended")
	alice.waitIdle()

	alice.navigate("/webrtc/room/a11y-" + lang)
	alice.waitFor(20*time.Second, "the room, waiting", `document.querySelector('#room-state')?.dataset.state === 'waiting'`)
	a.check(alice, "room")

	alice.navigate("/webrtc/admin")
	alice.waitFor(20*time.Second, "the admin dashboard with users and calls",
		`!!document.querySelector('#users tr[data-user="bob"]') && !!document.querySelector('#calls tr[data-call]')`)
	a.check(alice, "admin")
	bob.navigate("/webrtc/admin")
	bob.waitFor(20*time.Second, "the 403 page", `!!document.querySelector('#error-heading')`)
	a.check(bob, "forbidden")
	if len(a.problems) > 0 {
		t.Errorf("%d accessibility problems:\n%s", len(a.problems), strings.Join(a.problems, "\n"))
	}
}

// auditor runs the checks and gathers what they find, so one run reports
// every page's problems at once.
type auditor struct {
	t        *testing.T
	axe      string
	injected map[*tab]bool // tabs that load axe into every document
	lang     string
	problems []string
}

// check runs axe on the page at each viewport; at the phone size it checks
// the tap targets too, and in English at the desktop size the focus
// indicators of the pages with the most controls.
func (a *auditor) check(p *page, state string) {
	a.t.Helper()
	start := time.Now()
	for _, v := range viewports {
		where := fmt.Sprintf("%s %s %dx%d", state, a.lang, v.w, v.h)
		p.run(30*time.Second, "resize to "+where, chromedp.EmulateViewport(v.w, v.h),
			chromedp.Evaluate(settleJS, nil, func(e *runtime.EvaluateParams) *runtime.EvaluateParams { return e.WithAwaitPromise(true) }))
		if shownInREADME[state] {
			a.capture(p, fmt.Sprintf("%s-%s-%dx%d.png", state, a.lang, v.w, v.h))
		}
		t0 := time.Now()
		found := a.axeViolations(p)
		a.t.Logf("%s: axe ran in %v", where, time.Since(t0).Round(time.Millisecond))
		for _, f := range found {
			a.problems = append(a.problems, fmt.Sprintf("%s: %s (%s) at %s: %s\n    %s", where, f.Rule, f.Impact, f.Target, f.Help, strings.ReplaceAll(f.Summary, "\n", "\n    ")))
		}
		if v.w < 600 {
			var small []string
			p.run(30*time.Second, "measure tap targets at "+where, chromedp.Evaluate(smallTargetsJS, &small))
			for _, s := range small {
				a.problems = append(a.problems, fmt.Sprintf("%s: tap target under 44x44: %s", where, s))
			}
		}
		if strings.HasPrefix(state, "home-call") {
			var wrong []string
			p.run(30*time.Second, "measure the call's layout at "+where, chromedp.Evaluate(callLayoutJS, &wrong))
			for _, w := range wrong {
				a.problems = append(a.problems, fmt.Sprintf("%s: call layout: %s", where, w))
			}
		}
		if v.w > 600 && a.lang == "en" && (state == "login" || state == "home-call-caller" || state == "admin") {
			a.focusWalk(p, where)
		}
	}
	p.run(30*time.Second, "restore the viewport", chromedp.EmulateViewport(viewports[0].w, viewports[0].h))
	a.t.Logf("%s %s: checked in %v", state, a.lang, time.Since(start).Round(time.Millisecond))
}

// shownInREADME are the states whose screenshots, at both sizes and in
// both languages, the README shows (copied from the test output to docs/).
var shownInREADME = map[string]bool{"login": true, "home-incoming": true, "home-call-caller": true, "admin": true}

// capture saves a screenshot of the page as it is to the test output.
func (a *auditor) capture(p *page, name string) {
	a.t.Helper()
	var png []byte
	p.run(15*time.Second, "screenshot "+name, chromedp.CaptureScreenshot(&png))
	file := filepath.Join(outputDir(a.t), name)
	if err := os.WriteFile(file, png, 0o644); err != nil {
		a.t.Fatal(err)
	}
	a.t.Logf("screenshot %s", file)
}

// axeViolations runs axe-core on the page. The pages' Content-Security-
// Policy forbids injected <script>s but not the DevTools protocol's own
// evaluation: axe is evaluated in the current document and registered for
// every later one of the tab, so its source crosses the protocol once per
// document already open, not once per check.
func (a *auditor) axeViolations(p *page) []axeViolation {
	a.t.Helper()
	if !a.injected[p.tab] {
		p.run(60*time.Second, "inject axe-core", chromedp.Evaluate(a.axe, nil),
			chromedp.ActionFunc(func(ctx context.Context) error {
				_, err := cdppage.AddScriptToEvaluateOnNewDocument(a.axe).Do(ctx)
				return err
			}))
		a.injected[p.tab] = true
	}
	var raw json.RawMessage
	p.run(60*time.Second, "run axe-core", chromedp.Evaluate(axeRunJS, &raw,
		func(e *runtime.EvaluateParams) *runtime.EvaluateParams { return e.WithAwaitPromise(true) }))
	var found []axeViolation
	if err := json.Unmarshal(raw, &found); err != nil {
		a.t.Fatalf("%s: axe's answer %s: %v", p.name, raw, err)
	}
	return found
}

// focusWalk presses Tab through the page, as a keyboard user would, and
// records each stop that shows no focus indicator. At least one stop must
// be a button.
func (a *auditor) focusWalk(p *page, where string) {
	a.t.Helper()
	// A tab in the background (each page has a window of its own) is
	// told it has focus, or no element would show :focus-visible.
	p.run(30*time.Second, "emulate focus", emulation.SetFocusEmulationEnabled(true),
		chromedp.Evaluate(`document.activeElement?.blur(); window.a11ySeen = new WeakSet(); window.scrollTo(0, 0); true`, nil))
	var stops []focusStop
	for range 60 {
		var s *focusStop
		p.run(30*time.Second, "press Tab", chromedp.KeyEvent(kb.Tab))
		p.run(30*time.Second, "read the focused element", chromedp.Evaluate(focusStopJS, &s))
		if s == nil {
			continue
		}
		if s.Repeat {
			break // round the page once
		}
		stops = append(stops, *s)
	}
	buttons := 0
	for _, s := range stops {
		if s.Tag == "BUTTON" {
			buttons++
		}
		if !s.OK {
			a.problems = append(a.problems, fmt.Sprintf("%s: focus on %s shows no indicator of 3:1 (best %.2f; outline %q, box-shadow %q)", where, s.Name, s.Contrast, s.Outline, s.Shadow))
		}
	}
	if buttons == 0 {
		a.problems = append(a.problems, fmt.Sprintf("%s: Tab never reached a button (stops: %v)", where, stops))
	}
	a.t.Logf("%s: %d Tab stops, %d buttons", where, len(stops), buttons)
	p.run(30*time.Second, "end focus emulation", emulation.SetFocusEmulationEnabled(false))
}
