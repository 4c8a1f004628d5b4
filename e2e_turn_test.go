package main

// Browser tests of the embedded TURN server: a call with both browsers
// forced to relay, and the admin's relay self-test.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"callapp/controllers/ice"
	"callapp/models"
	"callapp/route/apptest"
)

// TestE2ERelay is the call of TestE2ECall with both browsers limited to
// relay candidates (iceTransportPolicy 'relay'), which only connects
// through the app's embedded TURN server; then the admin's relay
// self-test, which must pass here and fail, saying why, against a relay
// that refuses loopback peers and with a wrong secret.
func TestE2ERelay(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	// The relay address is 127.0.0.1, which the relay refuses to reach
	// unless TURN_ALLOW_LOOPBACK is set. alice is named admin because the
	// two accounts register at once.
	app := startApp(t, e2eEnv("CALLAPP_ADMIN_USERNAMES=alice",
		"CALLAPP_TURN_LISTEN=127.0.0.1:0", "CALLAPP_TURN_ALLOW_LOOPBACK=true")...)
	alice, bob := twoUsers(t, browser, app)

	t.Run("Call", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		alice.setICEPolicy("relay")
		bob.setICEPolicy("relay")
		callWithVideo(alice, bob, nil)
		for _, p := range []*page{alice, bob} {
			pair := p.selectedPair()
			t.Logf("%s: selected pair %s -> %s, local %s over %s", p.name, pair.Local, pair.Remote, pair.Address, pair.Protocol)
			if pair.Local != "relay" {
				t.Errorf("%s: the selected pair's local candidate is %q, want relay", p.name, pair.Local)
			}
		}
		st := relayStats(alice)
		t.Logf("relay stats during the call: %+v", st)
		if st.Created == 0 || st.Active == 0 {
			t.Errorf("the embedded relay saw no allocation: %+v", st)
		}
		bob.click("#hangup")
		bob.waitIdle()
		alice.waitIdle()
	})

	t.Run("SelfTest", func(t *testing.T) {
		alice := alice.in(t)
		alice.navigate("/webrtc/admin")
		alice.waitFor(20*time.Second, "the embedded relay in #relay-mode", `document.querySelector('#relay-mode')?.textContent.trim() === 'embedded'`)
		alice.click("#relay-test")
		alice.waitFor(20*time.Second, "the self-test's result", `!!document.querySelector('#relay-result')`)
		var res struct {
			OK   string `json:"ok"`
			Text string `json:"text"`
		}
		if err := alice.eval(`(e => ({ ok: e.dataset.ok, text: e.textContent.trim() }))(document.querySelector('#relay-result'))`, &res); err != nil {
			t.Fatal(err)
		}
		t.Logf("self-test: data-ok=%s %q", res.OK, res.Text)
		if res.OK != "true" || !regexp.MustCompile(`^Relay works: connected in \d+ ms, round trip \d+ ms \(relay ↔ relay\)\.$`).MatchString(res.Text) {
			t.Errorf("the relay self-test did not report success: data-ok=%q %q\n%s", res.OK, res.Text, alice.report())
		}
		alice.screenshot("admin-relay-test", "#relay-result")
	})

	// The self-test's two failures admins meet most, run from the admin
	// page with a short timeout and side by side: a relay that refuses to
	// reach the peers (a second embedded server, of the same code as the
	// app's, with loopback not allowed: a second app would cost seconds of
	// start-up) and a wrong secret. The page shows the error as "Relay
	// self-test failed: <error>".
	t.Run("SelfTestFails", func(t *testing.T) {
		alice := alice.in(t)
		const secret = "e2e-refusing-relay-secret"
		refusing := ice.NewServer(ice.ServerOptions{
			Listen: "127.0.0.1:0", Realm: "callapp", Secret: secret,
			Policy:         ice.PeerPolicy{AllowPrivate: true, AllowLoopback: false},
			MaxAllocations: 10, MaxAllocationsPerUser: 10,
			Log: apptest.Discard(),
		})
		if err := refusing.Start(); err != nil {
			t.Fatal(err)
		}
		defer refusing.Close()
		_, urls := refusing.URLs()
		cred := ice.NewCredential(secret, 1, time.Now().Add(time.Hour))
		servers, _ := json.Marshal([]models.ICEServer{{URLs: urls, Username: cred.Username, Credential: cred.Password}})
		js := fmt.Sprintf(`(async () => {
		  const { relaySelfTest } = await import('/webrtc/static/js/relaytest.js');
		  const ice = await (await fetch('/webrtc/api/ice-servers')).json();
		  const forged = ice.data.iceServers.filter((s) => s.urls.some((u) => u.startsWith('turn')))
		    .map((s) => ({ ...s, credential: btoa('not the secret') }));
		  const [refused, wrongSecret] = await Promise.all([relaySelfTest(%s, 2500), relaySelfTest(forged, 2500)]);
		  return { refused, wrongSecret };
		})()`, servers)
		var res struct {
			Refused, WrongSecret struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
		}
		alice.run(15*time.Second, "the failing self-tests", chromedp.Evaluate(js, &res, func(e *runtime.EvaluateParams) *runtime.EvaluateParams {
			return e.WithAwaitPromise(true)
		}))
		t.Logf("loopback refused: %+v", res.Refused)
		t.Logf("wrong secret: %+v", res.WrongSecret)
		if res.Refused.OK || !strings.HasPrefix(res.Refused.Error, "Relay candidates were gathered but no connection came up") {
			t.Errorf("self-test against a relay refusing loopback: %+v", res.Refused)
		}
		if st := refusing.Stats(); st.Created == 0 || st.PeerDenials == 0 {
			t.Errorf("the refusing relay made no allocation or denied no peer: %+v", st)
		}
		if res.WrongSecret.OK || !strings.HasPrefix(res.WrongSecret.Error, "No relay candidate was gathered") {
			t.Errorf("self-test with a wrong secret: %+v", res.WrongSecret)
		}
		if st := relayStats(alice); st.AuthFailures == 0 {
			t.Errorf("the app's relay counted no refused credential: %+v", st)
		}
	})
}

// relayStats is what GET /webrtc/api/admin/relay tells an admin's page
// about the embedded relay.
func relayStats(admin *page) ice.Stats {
	admin.t.Helper()
	var st ice.Stats
	if err := admin.eval(`fetch('/webrtc/api/admin/relay').then((r) => r.json()).then((b) => b.data.stats)`, &st); err != nil {
		admin.t.Fatalf("%s: GET /webrtc/api/admin/relay: %v", admin.name, err)
	}
	return st
}
