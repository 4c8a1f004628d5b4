package main

// The page type of the browser tests: one user's tab, with actions that
// wait by polling and failures that say what the page showed.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// page is one user's tab in a browser context of their own, driven by the
// test t: its failures fail t.
type page struct {
	*tab
	t *testing.T
}

// tab is the test-independent part of a page.
type tab struct {
	name string
	app  *server
	ctx  context.Context

	mu         sync.Mutex
	console    []string // console output, exceptions and dialogs, in order
	dialogs    int      // alert/confirm/prompt dialogs opened
	violations []string // Content-Security-Policy violations, as cspListenerJS reports them
}

// cspBinding is the function pages call to report a Content-Security-Policy
// violation to the test; a CDP binding outlives navigations.
const cspBinding = "callappCSPViolation"

// cspListenerJS runs in every document before its own scripts and reports
// each securitypolicyviolation event through cspBinding.
const cspListenerJS = `document.addEventListener('securitypolicyviolation', (e) => {
  window.` + cspBinding + `(JSON.stringify({ directive: e.effectiveDirective, blocked: e.blockedURI,
    source: e.sourceFile + ':' + e.lineNumber, sample: e.sample, page: e.documentURI }));
}, true);`

func newPage(t *testing.T, browser context.Context, app *server, name string) *page {
	t.Helper()
	id := openTab(t, browser)
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	p := &page{tab: &tab{name: name, app: app, ctx: ctx}, t: t}
	chromedp.ListenTarget(ctx, p.onEvent)
	// The first Run makes the tab and ties its event loop to the context it
	// is given: the tab's own, not one with a timeout.
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(viewports[0].w, viewports[0].h),
		runtime.AddBinding(cspBinding),
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := cdppage.AddScriptToEvaluateOnNewDocument(cspListenerJS).Do(ctx)
			return err
		})); err != nil {
		t.Fatalf("%s: opening a tab: %v", name, err)
	}
	// Every browser test fails on a violation: the pages must work under
	// the policy the server sends, not merely load.
	t.Cleanup(func() {
		if v := p.takeViolations(); len(v) > 0 {
			t.Errorf("%s: Content-Security-Policy violations:\n  %s", name, strings.Join(v, "\n  "))
		}
	})
	return p
}

// openTab makes a browser context (its own cookies and storage) with one
// tab in it, disposed of when the test ends. chromedp's
// WithNewBrowserContext cannot be used: headless Chromium answers "no
// browser is open" to a new tab in a new context unless it gets a window.
func openTab(t *testing.T, browser context.Context) target.ID {
	t.Helper()
	ctx, cancel := context.WithTimeout(browser, 10*time.Second)
	defer cancel()
	exec := cdp.WithExecutor(ctx, chromedp.FromContext(browser).Browser)
	bc, err := target.CreateBrowserContext().WithDisposeOnDetach(true).Do(exec)
	if err != nil {
		t.Fatalf("creating a browser context: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(browser, 5*time.Second)
		defer cancel()
		_ = target.DisposeBrowserContext(bc).Do(cdp.WithExecutor(ctx, chromedp.FromContext(browser).Browser))
	})
	id, err := target.CreateTarget("about:blank").WithBrowserContextID(bc).WithNewWindow(true).Do(exec)
	if err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return id
}

// in returns the same tab driven by a subtest.
func (p *page) in(t *testing.T) *page { return &page{tab: p.tab, t: t} }

func (p *tab) onEvent(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				args = append(args, string(a.Value))
			} else {
				args = append(args, a.Description)
			}
		}
		p.console = append(p.console, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		p.console = append(p.console, fmt.Sprintf("exception: %s (%s:%d)", text, d.URL, d.LineNumber))
	case *cdplog.EventEntryAdded: // the browser's own messages: failed loads, websocket errors
		p.console = append(p.console, fmt.Sprintf("log.%s %s: %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
	case *runtime.EventBindingCalled:
		if ev.Name == cspBinding {
			p.violations = append(p.violations, ev.Payload)
			p.console = append(p.console, "CSP violation: "+ev.Payload)
		}
	case *cdppage.EventJavascriptDialogOpening:
		p.dialogs++
		p.console = append(p.console, fmt.Sprintf("dialog %s: %s", ev.Type, ev.Message))
		// A dialog blocks the page: dismiss it (from outside the event loop).
		go chromedp.Run(p.ctx, cdppage.HandleJavaScriptDialog(false))
	}
}

func (p *tab) dialogCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dialogs
}

// takeViolations returns the Content-Security-Policy violations reported
// so far and forgets them.
func (p *tab) takeViolations() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.violations
	p.violations = nil
	return v
}

// report is what the page showed, for failure messages.
func (p *tab) report() string {
	const js = `JSON.stringify({
	  url: location.href,
	  conn: document.querySelector('#conn')?.textContent,
	  notice: document.querySelector('#notice')?.textContent,
	  phase: document.querySelector('#call-phase')?.dataset.phase,
	  users: [...document.querySelectorAll('#users li[data-user]')].map((li) => li.dataset.user),
	  calls: [...document.querySelectorAll('#calls tr[data-call]')].map((tr) => tr.innerText),
	  errors: [...document.querySelectorAll('.field-error, .form-error, #media-problem')].map((e) => e.textContent.trim()),
	})`
	var state string
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.Evaluate(js, &state)); err != nil {
		state = "(page state unreadable: " + err.Error() + ")"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	logs := p.console
	if len(logs) > 40 {
		logs = logs[len(logs)-40:]
	}
	if len(logs) == 0 {
		logs = []string{"(nothing)"}
	}
	return fmt.Sprintf("%s's page: %s\n%s's console:\n  %s", p.name, state, p.name, strings.Join(logs, "\n  "))
}

// run performs actions within timeout or fails the test saying what the
// page showed.
func (p *page) run(timeout time.Duration, what string, actions ...chromedp.Action) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %s: %v\n%s", p.name, what, err, p.report())
	}
}

// eval evaluates a JavaScript expression, awaiting it if it is a promise.
func (p *tab) eval(js string, res any) error {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate(js, res, func(e *runtime.EvaluateParams) *runtime.EvaluateParams {
		return e.WithAwaitPromise(true)
	}))
}

// waitFor polls a JavaScript boolean expression every 100 ms until it is
// true, failing after timeout.
func (p *page) waitFor(timeout time.Duration, what, js string) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		var ok bool
		lastErr = p.eval(js, &ok)
		if lastErr == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("%s: waited %v for %s (last error: %v)\n%s", p.name, timeout, what, lastErr, p.report())
}

func (p *page) navigate(path string) {
	p.t.Helper()
	p.run(15*time.Second, "open "+path, chromedp.Navigate(p.app.url+path))
}

func (p *page) click(sel string) {
	p.t.Helper()
	p.run(10*time.Second, "click "+sel, chromedp.Click(sel, chromedp.ByQuery))
}

// register signs up through the register page and waits for the home page
// to be connected.
func (p *page) register(password string) {
	p.t.Helper()
	p.submitRegister(password)
	p.waitHome()
}

// submitRegister fills in and submits the register form with the page's
// name as the username.
func (p *page) submitRegister(password string) {
	p.t.Helper()
	p.navigate("/webrtc/register")
	p.run(20*time.Second, "fill in the register form",
		chromedp.SendKeys("#username", p.name, chromedp.ByQuery),
		chromedp.SendKeys("#password", password, chromedp.ByQuery),
		chromedp.Click("#submit", chromedp.ByQuery),
	)
}

// waitHome waits for the home page, connected. Registering and logging in
// take seconds under -race: bcrypt is slow when instrumented.
func (p *page) waitHome() {
	p.t.Helper()
	p.waitFor(20*time.Second, "the home page", `location.pathname === '/webrtc/in' && !!window.callapp`)
	p.waitConnected()
}

func (p *page) waitConnected() {
	p.t.Helper()
	p.waitFor(20*time.Second, "the signaling connection", `!!document.querySelector('#conn.conn-open')`)
}

// waitIdle waits for the call view to be gone and the idle panel shown.
func (p *page) waitIdle() {
	p.t.Helper()
	p.waitFor(20*time.Second, "the idle view",
		`!document.querySelector('#remote') && !!document.querySelector('.idle')?.getClientRects().length`)
}

// waitNotice waits for #notice to contain text.
func (p *page) waitNotice(text string) {
	p.t.Helper()
	p.waitFor(20*time.Second, fmt.Sprintf("a notice containing %q", text),
		fmt.Sprintf(`(document.querySelector('#notice')?.textContent || '').includes(%q)`, text))
}

// call clicks the Call button next to a user once it is enabled.
func (p *page) call(user string) {
	p.t.Helper()
	btn := fmt.Sprintf(`#users li[data-user=%q] .call-btn`, user)
	p.waitFor(20*time.Second, user+" online with an enabled Call button",
		fmt.Sprintf(`(b => !!b && !b.disabled)(document.querySelector(%q))`, btn))
	p.click(btn)
}

// remoteVideo is what the remote <video> and the peer connection's stats
// say about incoming video.
type remoteVideo struct {
	Width  int     `json:"width"`
	Frames float64 `json:"frames"` // inbound-rtp video framesDecoded; -1 before any
}

const remoteVideoJS = `(async () => {
  const v = document.querySelector('#remote');
  const pc = window.callapp?.peer?.();
  let frames = -1;
  if (pc) (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames = r.framesDecoded || 0; });
  return { width: v ? v.videoWidth : 0, frames };
})()`

// waitVideo waits until the remote video shows frames and checks that
// decoding goes on: framesDecoded must rise over about a second.
func (p *page) waitVideo() {
	p.t.Helper()
	p.waitFor(20*time.Second, "remote video frames",
		`(async () => { const r = await `+remoteVideoJS+`; return r.width > 0 && r.frames > 0; })()`)
	var first, second remoteVideo
	if err := p.eval(remoteVideoJS, &first); err != nil {
		p.t.Fatalf("%s: reading stats: %v", p.name, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		if err := p.eval(remoteVideoJS, &second); err != nil {
			p.t.Fatalf("%s: reading stats: %v", p.name, err)
		}
		if second.Frames > first.Frames && time.Until(deadline) < 9*time.Second {
			p.t.Logf("%s: remote video %dpx wide, framesDecoded %v -> %v", p.name, second.Width, first.Frames, second.Frames)
			return
		}
	}
	p.t.Fatalf("%s: framesDecoded stuck at %v (then %v)\n%s", p.name, first.Frames, second.Frames, p.report())
}

// setICEPolicy makes the page's next call use an ICE transport policy,
// 'all' or 'relay', through the hook home.js reads when a call starts. A
// navigation forgets it.
func (p *page) setICEPolicy(policy string) {
	p.t.Helper()
	var ok bool
	if err := p.eval(fmt.Sprintf(`(window.callappICEPolicy = %q) && !!window.callapp`, policy), &ok); err != nil || !ok {
		p.t.Fatalf("%s: setting the ICE policy (home page loaded: %v): %v", p.name, ok, err)
	}
}

// candidatePair is the ICE candidate pair the call's peer connection
// selected, from getStats().
type candidatePair struct {
	Local    string `json:"local"`  // candidateType: host, srflx, prflx or relay
	Remote   string `json:"remote"` // the same, of the other side's candidate
	Address  string `json:"address"`
	Protocol string `json:"protocol"` // of the local candidate; relayProtocol for a relay
}

const candidatePairJS = `(async () => {
  const pc = window.callapp?.peer?.();
  if (!pc) return null;
  const stats = await pc.getStats();
  let id;
  stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) id = s.selectedCandidatePairId; });
  const pair = id && stats.get(id);
  if (!pair) return null;
  const l = stats.get(pair.localCandidateId), r = stats.get(pair.remoteCandidateId);
  return { local: l?.candidateType || '', remote: r?.candidateType || '', address: l?.address || '', protocol: l?.relayProtocol || l?.protocol || '' };
})()`

// selectedPair returns the candidate pair of the current call, waiting
// for one to be selected.
func (p *page) selectedPair() candidatePair {
	p.t.Helper()
	p.waitFor(20*time.Second, "a selected candidate pair", `(async () => !!(await `+candidatePairJS+`))()`)
	var pair candidatePair
	if err := p.eval(candidatePairJS, &pair); err != nil {
		p.t.Fatalf("%s: reading the candidate pair: %v", p.name, err)
	}
	return pair
}

// viewports are the sizes every page is photographed at: desktop and phone.
var viewports = []struct{ w, h int64 }{{1280, 800}, {390, 844}}

// screenshot saves the page at each viewport as
// <output>/<name>-<w>x<h>.png, then restores the desktop size. With a
// selector, the element it finds is scrolled to the middle of each shot.
func (p *page) screenshot(name string, scrollTo ...string) {
	p.t.Helper()
	dir := outputDir(p.t)
	scroll := "true"
	for _, sel := range scrollTo {
		scroll = fmt.Sprintf(`document.querySelector(%q)?.scrollIntoView({ block: 'center' }) ?? true`, sel)
	}
	for _, v := range viewports {
		var png []byte
		p.run(15*time.Second, "screenshot "+name,
			chromedp.EmulateViewport(v.w, v.h),
			chromedp.Evaluate(scroll, nil),
			// Let layout settle on the new size before capturing.
			chromedp.Evaluate(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, nil,
				func(e *runtime.EvaluateParams) *runtime.EvaluateParams { return e.WithAwaitPromise(true) }),
			chromedp.Sleep(150*time.Millisecond),
			chromedp.CaptureScreenshot(&png),
		)
		file := filepath.Join(dir, fmt.Sprintf("%s-%dx%d.png", name, v.w, v.h))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			p.t.Fatal(err)
		}
		p.t.Logf("screenshot %s", file)
	}
	p.run(5*time.Second, "restore the viewport", chromedp.EmulateViewport(viewports[0].w, viewports[0].h))
}

// outputDir is $CALLAPP_TEST_OUTPUT, or test-output/ in the repository.
func outputDir(t *testing.T) string {
	dir := os.Getenv("CALLAPP_TEST_OUTPUT")
	if dir == "" {
		dir = "test-output"
	}
	dir, err := filepath.Abs(dir)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
