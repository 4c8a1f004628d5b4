package main

// Browser test of a call's quality: the signal bars and figures the page
// shows, and the Call/Stats samples it sends the server.

import (
	"math"
	"regexp"
	"testing"
	"time"

	"callapp/models"
)

// statsSpyJS records, in order, the methods the page sends and the data of
// each Call/Stats, by wrapping its Signal's send.
const statsSpyJS = `(() => {
  const s = window.callapp.signal, send = s.send.bind(s);
  window.sent = [];
  s.send = (method, opts) => {
    const ok = send(method, opts);
    if (ok) window.sent.push({ method, data: opts?.data ?? null });
    return ok;
  };
  return true;
})()`

// statsSample is the data of one Call/Stats the page sent.
type statsSample struct {
	CallID   string   `json:"callId"`
	RTTMs    float64  `json:"rttMs"`
	LossPct  float64  `json:"lossPct"`
	JitterMs float64  `json:"jitterMs"`
	KbpsIn   float64  `json:"kbpsIn"`
	KbpsOut  float64  `json:"kbpsOut"`
	Path     string   `json:"path"`
	SetupMs  *float64 `json:"setupMs"`
}

type sentEnvelope struct {
	Method string      `json:"method"`
	Data   statsSample `json:"data"`
}

// TestE2ECallQuality: during a call each page shows signal bars that name
// the quality for screen readers and open the figures on click, sends a
// Call/Stats sample within its period (the caller's with the set-up time),
// and sends a last one before it hangs up.
func TestE2ECallQuality(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	// alice is named admin, to read the stored quality: the two register at once.
	app := startApp(t, e2eEnv("CALLAPP_ADMIN_USERNAMES=alice")...)
	alice, bob := twoUsers(t, browser, app)
	for _, p := range []*page{alice, bob} {
		var ok bool
		if err := p.eval(statsSpyJS, &ok); err != nil || !ok {
			t.Fatalf("%s: installing the send spy: %v", p.name, err)
		}
	}
	callWithVideo(alice, bob, nil)

	for _, p := range []*page{alice, bob} {
		p.waitFor(20*time.Second, "signal bars that say the quality",
			`(b => !!b && Number(b.dataset.bars) >= 3 && /^Connection quality: (good|excellent)\./.test(b.getAttribute('aria-label')))(document.querySelector('#quality'))`)
		p.waitFor(20*time.Second, "the state in words", `document.querySelector('#call-state')?.textContent.trim() === 'Connected'`)
		p.click("#quality")
		p.waitFor(20*time.Second, "the figures with numbers", `(() => {
		  const f = (k) => document.querySelector('#quality-figures [data-figure="' + k + '"]')?.textContent.trim() || '';
		  return /^\d+ ms$/.test(f('rtt')) && /^\d+ %$/.test(f('loss')) && /^[1-9]\d* kbit\/s$/.test(f('in')) &&
		    /^[1-9]\d* kbit\/s$/.test(f('out')) && /^[1-9]\d* frames\/s$/.test(f('fps')) && f('path') === 'direct (host)' &&
		    document.querySelector('#quality').getAttribute('aria-expanded') === 'true';
		})()`)
	}
	var figures map[string]string
	_ = alice.eval(`Object.fromEntries([...document.querySelectorAll('#quality-figures dd')].map((d) => [d.dataset.figure, d.textContent.trim()]))`, &figures)
	t.Logf("alice's figures: %v", figures)
	alice.screenshot("call-quality", "#quality-figures")

	// A sample every 10 s: wait for one from each side.
	for _, p := range []*page{alice, bob} {
		p.waitFor(20*time.Second, "a Call/Stats sample", `window.sent.some((e) => e.method === 'Call/Stats')`)
	}
	aliceSent := sentBy(t, alice)
	first := firstStats(t, alice, aliceSent)
	checkSample(t, alice, first)
	if first.SetupMs == nil || *first.SetupMs <= 0 || *first.SetupMs > 20000 {
		t.Errorf("alice's first sample carries no plausible set-up time: %+v", first)
	} else {
		t.Logf("alice: set-up %v ms, first sample %+v", *first.SetupMs, first)
	}
	checkSample(t, bob, firstStats(t, bob, sentBy(t, bob)))

	// Hanging up sends a last sample first.
	bob.click("#hangup")
	bob.waitIdle()
	alice.waitIdle()
	sent := sentBy(t, bob)
	n := len(sent)
	if n < 2 || sent[n-1].Method != "Call/Hangup" || sent[n-2].Method != "Call/Stats" {
		t.Errorf("bob's last envelopes are not Call/Stats then Call/Hangup: %+v", sent[max(0, n-3):])
	} else {
		checkSample(t, bob, sent[n-2].Data)
	}

	// The server keeps the samples of both sides with the call: at least
	// one periodic sample of each and bob's last one.
	alice.waitFor(20*time.Second, "the call's stored quality", `fetch('/webrtc/api/admin/calls?limit=1').then((r) => r.json())
	  .then((b) => !!b.data?.[0]?.endedAt && b.data[0].quality.samples >= 3)`)
	var q models.CallQuality
	if err := alice.eval(`fetch('/webrtc/api/admin/calls?limit=1').then((r) => r.json()).then((b) => b.data[0].quality)`, &q); err != nil {
		t.Fatal(err)
	}
	t.Logf("stored quality: %d samples, rtt median %v worst %v, loss worst %v, relay %v, set-up %v",
		q.Samples, deref(q.RTTMedianMs), deref(q.RTTWorstMs), deref(q.LossWorstPct), q.UsedRelay, deref(q.SetupMs))
	if q.RTTMedianMs == nil || *q.RTTMedianMs > 1000 || q.LossWorstPct == nil || q.UsedRelay ||
		q.SetupMs == nil || *q.SetupMs <= 0 || *q.SetupMs > *first.SetupMs {
		t.Errorf("the stored quality is not that of a direct loopback call whose caller reported set-up %v ms: %+v", deref(first.SetupMs), q)
	}
}

// deref is *f, or NaN for nil, for logs.
func deref(f *float64) float64 {
	if f == nil {
		return math.NaN()
	}
	return *f
}

func sentBy(t *testing.T, p *page) []sentEnvelope {
	t.Helper()
	var sent []sentEnvelope
	if err := p.eval(`window.sent`, &sent); err != nil {
		t.Fatalf("%s: reading what the page sent: %v", p.name, err)
	}
	return sent
}

func firstStats(t *testing.T, p *page, sent []sentEnvelope) statsSample {
	t.Helper()
	for _, e := range sent {
		if e.Method == "Call/Stats" {
			return e.Data
		}
	}
	t.Fatalf("%s sent no Call/Stats", p.name)
	return statsSample{}
}

var callIDRe = regexp.MustCompile(`^\S+$`)

// checkSample checks a sample of a healthy loopback call against the
// server's ranges and against what such a call must show.
func checkSample(t *testing.T, p *page, s statsSample) {
	t.Helper()
	for name, v := range map[string]float64{"rttMs": s.RTTMs, "lossPct": s.LossPct, "jitterMs": s.JitterMs, "kbpsIn": s.KbpsIn, "kbpsOut": s.KbpsOut} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			t.Errorf("%s: %s is %v", p.name, name, v)
		}
	}
	if !callIDRe.MatchString(s.CallID) || s.Path != "host" || s.KbpsIn <= 0 || s.KbpsOut <= 0 || s.LossPct > 100 || s.RTTMs > 1000 {
		t.Errorf("%s: implausible sample of a loopback call: %+v", p.name, s)
	}
}
