package main

// Browser tests of calls that lose their server or their media path: the
// call goes on through a server restart, and a path that cannot be
// restored is said plainly and ends the call.

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"callapp/config"
	"callapp/route/apptest"
)

// callRecord is a call as GET /webrtc/api/calls lists it to a party.
type callRecord struct {
	ID          string `json:"id"`
	Answered    bool   `json:"answered"`
	Ended       bool   `json:"ended"`
	EndReason   string `json:"endReason"`
	DurationSec int64  `json:"durationSec"`
	Peer        struct {
		Username string `json:"username"`
	} `json:"peer"`
}

// calls is the page user's call history, newest first.
func (p *page) calls() []callRecord {
	p.t.Helper()
	var calls []callRecord
	if err := p.eval(`fetch('/webrtc/api/calls?limit=20').then((r) => r.json()).then((b) => b.data)`, &calls); err != nil {
		p.t.Fatalf("%s: GET /webrtc/api/calls: %v", p.name, err)
	}
	return calls
}

// frames is the remote video's framesDecoded now.
func (p *page) frames() float64 {
	p.t.Helper()
	var v remoteVideo
	if err := p.eval(remoteVideoJS, &v); err != nil {
		p.t.Fatalf("%s: reading stats: %v", p.name, err)
	}
	return v.Frames
}

// waitFramesRise waits until the remote video has decoded frames past
// from, and returns the count.
func (p *page) waitFramesRise(what string, from float64) float64 {
	p.t.Helper()
	p.waitFor(20*time.Second, fmt.Sprintf("remote video frames past %v %s", from, what),
		fmt.Sprintf(`(async () => (await %s).frames > %v)()`, remoteVideoJS, from))
	return p.frames()
}

// stateRecorderJS keeps each new text of the call view's state line in
// window.callStates, an empty one while there is none (the call view went).
const stateRecorderJS = `(() => {
  window.callStates = [];
  const note = () => {
    const s = document.querySelector('#call-state')?.textContent.trim() || '';
    if (window.callStates.at(-1) !== s) window.callStates.push(s);
  };
  note();
  new MutationObserver(note).observe(document.querySelector('#app'), { subtree: true, childList: true, characterData: true });
  return true;
})()`

// callState is the call view's state line.
const callStateJS = `document.querySelector('#call-state')?.textContent.trim()`

// TestE2EResumeAcrossServerRestart: mid-call the server stops (gracefully)
// and starts again on the same address and database. The video goes on
// peer to peer throughout, both pages say they are reconnecting and then
// show the call again on the same peer connection, and hanging up stores
// one call whose duration spans the outage.
func TestE2EResumeAcrossServerRestart(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	// alice is named admin, to read the call's resumes: the two register at once.
	env := e2eEnv("CALLAPP_DATA_DIR="+t.TempDir(), "CALLAPP_CALL_RESUME_GRACE=20s", "CALLAPP_ADMIN_USERNAMES=alice")
	app := startApp(t, env...)
	alice, bob := twoUsers(t, browser, app)
	callWithVideo(alice, bob, nil)
	pages := []*page{alice, bob}
	before := map[*page]float64{}
	for _, p := range pages {
		p.waitFor(20*time.Second, "the call connected", callStateJS+` === 'Connected'`)
		var ok bool
		if err := p.eval(`!!(window.pcBefore = window.callapp.peer())`, &ok); err != nil || !ok {
			t.Fatalf("%s: no peer connection to keep: %v", p.name, err)
		}
		before[p] = p.frames()
	}

	down := time.Now()
	if code := app.stop(); code != 0 {
		t.Fatalf("the server stopped with %d", code)
	}
	for _, p := range pages {
		p.waitFor(20*time.Second, "reconnecting, over the call still shown",
			`!!document.querySelector('#conn.conn-reconnecting') && `+callStateJS+` === 'Reconnecting…' &&
			 !!document.querySelector('#remote') && document.querySelector('#call-overlay')?.textContent.trim() === 'Reconnecting…'`)
	}
	// Frames go on while no server runs.
	during := map[*page]float64{}
	for _, p := range pages {
		during[p] = p.waitFramesRise("while the server is down", before[p])
	}
	time.Sleep(time.Second)
	for _, p := range pages {
		during[p] = p.waitFramesRise("still while the server is down", during[p])
	}
	alice.screenshot("call-reconnecting")

	// The same address, so the pages' URL and cookies still hold.
	startApp(t, append(env, "CALLAPP_LISTEN="+app.addr)...)
	outage := time.Since(down)
	t.Logf("the server was away %v", outage.Round(time.Millisecond))
	for _, p := range pages {
		// The page's retries back off (to half a minute): after a long
		// outage the next try may be well after the server is back.
		p.waitFor(40*time.Second, "the signaling connection after the restart", `!!document.querySelector('#conn.conn-open')`)
		p.waitFor(20*time.Second, "the call again, on the same peer connection",
			callStateJS+` === 'Connected' && !document.querySelector('#call-overlay') && window.callapp.peer() === window.pcBefore`)
		after := p.waitFramesRise("after the restart", during[p])
		t.Logf("%s: framesDecoded %v before, %v during, %v after", p.name, before[p], during[p], after)
	}

	time.Sleep(time.Second)
	spanned := time.Since(down)
	bob.click("#hangup")
	bob.waitIdle()
	alice.waitIdle()
	alice.waitNotice("bob hung up")
	alice.waitFor(20*time.Second, "the call recorded as ended", `fetch('/webrtc/api/calls?limit=1').then((r) => r.json()).then((b) => b.data?.[0]?.ended === true)`)
	calls := alice.calls()
	if len(calls) != 1 {
		t.Fatalf("alice has %d call records, want 1: %+v", len(calls), calls)
	}
	c := calls[0]
	t.Logf("the call: %+v", c)
	if !c.Answered || c.EndReason != "hangup" || c.Peer.Username != "bob" || time.Duration(c.DurationSec)*time.Second < spanned.Truncate(time.Second) {
		t.Errorf("the call record does not span the outage (%v from the stop to the hang-up): %+v", spanned, c)
	}
	// The restarted server holds both parties away, so each page's return
	// counts once; the record was read after its end, which is written
	// after the returns.
	var resumes int
	if err := alice.eval(`fetch('/webrtc/api/admin/calls?limit=1').then((r) => r.json()).then((b) => b.data[0].resumes)`, &resumes); err != nil || resumes != 2 {
		t.Errorf("the call counts %d resumes (%v), want 2: both parties' returns", resumes, err)
	}
}

// TestE2EMediaFailure: both pages send media only through the embedded
// relay, which stops mid-call. The media path cannot come back, so within
// the media timeout both pages say "Connection failed" and the call is
// recorded as ended media_failed.
func TestE2EMediaFailure(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	const mediaTimeout = 4 * time.Second
	gin.SetMode(gin.ReleaseMode) // the router's debug listing is noise here
	a := apptest.Start(t, apptest.Config(func(c *config.Config) {
		c.TURNEnabled, c.TURNListen, c.TURNAllowLoopback = true, "127.0.0.1:0", true
		c.CallMediaTimeout = mediaTimeout
	}))
	app := &server{addr: a.Server.Listener.Addr().String(), url: a.URL}
	alice, bob := twoUsers(t, browser, app)
	alice.setICEPolicy("relay")
	bob.setICEPolicy("relay")
	callWithVideo(alice, bob, nil)
	for _, p := range []*page{alice, bob} {
		if pair := p.selectedPair(); pair.Local != "relay" {
			t.Fatalf("%s: the call goes over %q, not the relay", p.name, pair.Local)
		}
		p.waitFor(20*time.Second, "the call connected", callStateJS+` === 'Connected'`)
	}

	broke := time.Now()
	if err := a.Relay.Close(); err != nil {
		t.Fatal(err)
	}
	// A browser notices a dead path within seconds (no answers to its
	// checks), one side often before the other; the media timeout runs from
	// then. The first to give up ends the call for both.
	saidReconnecting := ""
	for deadline := time.Now().Add(10 * time.Second); saidReconnecting == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, p := range []*page{alice, bob} {
			var s string
			if p.eval(`(`+callStateJS+`) || ''`, &s) == nil && s == "Reconnecting media…" {
				saidReconnecting = p.name
			}
		}
	}
	if saidReconnecting == "" {
		t.Fatalf("neither page said it was reconnecting the media\n%s\n%s", alice.report(), bob.report())
	}
	t.Logf("%s's page said \"Reconnecting media…\" %v after the relay stopped", saidReconnecting, time.Since(broke).Round(time.Millisecond))
	for _, p := range []*page{bob, alice} {
		p.waitFor(mediaTimeout+10*time.Second, `"Connection failed" and the call ended`,
			`(document.querySelector('#notice')?.textContent || '').startsWith('Connection failed') && !document.querySelector('#remote')`)
	}
	took := time.Since(broke)
	t.Logf("the relay stopped; %v later both pages said the connection failed", took.Round(time.Millisecond))
	alice.waitFor(20*time.Second, "the call recorded as ended", `fetch('/webrtc/api/calls?limit=1').then((r) => r.json()).then((b) => b.data?.[0]?.ended === true)`)
	c := alice.calls()[0]
	t.Logf("the call: %+v", c)
	if !c.Answered || c.EndReason != "media_failed" {
		t.Errorf("the call record does not end media_failed: %+v", c)
	}
}

// TestE2EMediaTimeoutWaitsForAnAwayPeer: the media path breaks while one
// party's signaling is away. No ICE restart can reach it then, so neither
// page counts the media timeout down until both are back: the call is
// still there well past the timeout; once the party is back, the timeout
// runs and, the relay being still dead, ends the call media_failed.
func TestE2EMediaTimeoutWaitsForAnAwayPeer(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	const mediaTimeout = 4 * time.Second
	gin.SetMode(gin.ReleaseMode)
	a := apptest.Start(t, apptest.Config(func(c *config.Config) {
		c.TURNEnabled, c.TURNListen, c.TURNAllowLoopback = true, "127.0.0.1:0", true
		c.CallMediaTimeout = mediaTimeout
	}))
	app := &server{addr: a.Server.Listener.Addr().String(), url: a.URL}
	alice, bob := twoUsers(t, browser, app)
	alice.setICEPolicy("relay")
	bob.setICEPolicy("relay")
	callWithVideo(alice, bob, nil)
	alice.waitFor(20*time.Second, "the call connected", callStateJS+` === 'Connected'`)

	bob.holdSignalDown()
	alice.waitFor(20*time.Second, "bob away", callStateJS+` === 'bob is reconnecting…'`)
	if err := a.Relay.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(mediaTimeout + 8*time.Second) // a browser notices a dead path within seconds
	for _, p := range []*page{alice, bob} {
		var failed bool
		if err := p.eval(`(document.querySelector('#notice')?.textContent || '').startsWith('Connection failed') || !document.querySelector('#remote')`, &failed); err != nil || failed {
			t.Fatalf("%s gave up on the call while bob was away (err %v)\n%s", p.name, err, p.report())
		}
	}
	bob.letSignalBack()
	for _, p := range []*page{bob, alice} {
		p.waitFor(mediaTimeout+10*time.Second, `"Connection failed" once bob is back`,
			`(document.querySelector('#notice')?.textContent || '').startsWith('Connection failed') && !document.querySelector('#remote')`)
	}
	alice.waitFor(20*time.Second, "the call recorded as ended", `fetch('/webrtc/api/calls?limit=1').then((r) => r.json()).then((b) => b.data?.[0]?.ended === true)`)
	if c := alice.calls()[0]; c.EndReason != "media_failed" {
		t.Errorf("the call record does not end media_failed: %+v", c)
	}
}

// TestE2EResumeAfterReload: mid-call one party reloads the page. The
// reloaded page finds the call in its welcome and rebuilds it (new media,
// a new peer connection, an offer marked fresh); the other page replaces
// its connection without leaving the call, and video flows both ways
// again in the one call record.
func TestE2EResumeAfterReload(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv("CALLAPP_CALL_RESUME_GRACE=20s")...)
	alice, bob := twoUsers(t, browser, app)
	callWithVideo(alice, bob, nil)
	var ok bool
	if err := alice.eval(`!!(window.pcBefore = window.callapp.peer()) && `+stateRecorderJS, &ok); err != nil || !ok {
		t.Fatalf("alice: no peer connection: %v", err)
	}

	bob.navigate("/webrtc/in")
	bob.waitFor(20*time.Second, "the call back after the reload", `!!document.querySelector('#remote') && `+callStateJS+` === 'Connected'`)
	bob.waitVideo()
	alice.waitFor(20*time.Second, "a new peer connection for bob's", `window.callapp.peer() !== window.pcBefore && `+callStateJS+` === 'Connected'`)
	alice.waitVideo()
	var states []string
	if err := alice.eval(`window.callStates`, &states); err != nil {
		t.Fatal(err)
	}
	t.Logf("alice's call state during bob's reload: %q", states)
	if !slices.Contains(states, "bob is reconnecting…") || slices.Contains(states, "") || states[len(states)-1] != "Connected" {
		t.Errorf("alice's page did not say bob was reconnecting, then connected, without leaving the call: %q", states)
	}

	alice.click("#hangup")
	alice.waitIdle()
	bob.waitIdle()
	bob.waitNotice("alice hung up")
	bob.waitFor(20*time.Second, "the call recorded as ended", `fetch('/webrtc/api/calls?limit=1').then((r) => r.json()).then((b) => b.data?.[0]?.ended === true)`)
	if calls := bob.calls(); len(calls) != 1 || !calls[0].Answered || calls[0].EndReason != "hangup" {
		t.Errorf("bob's call records: %+v, want one answered call ended by hang-up", calls)
	}
}
