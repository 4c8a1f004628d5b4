package main

import (
	"strings"
	"testing"
	"time"
)

// TestE2EContentSecurityPolicy: the pages run under the server's policy
// (Vue mounts, the websocket connects), and the recorder that fails every
// browser test on a violation works: a script injected into a page neither
// runs nor goes unreported.
func TestE2EContentSecurityPolicy(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv()...)
	carol := newPage(t, browser, app, "carol")
	carol.navigate("/webrtc/login")
	carol.waitFor(20*time.Second, "Vue to mount the login form", `!document.querySelector('[v-cloak]') && !!document.querySelector('#username')`)

	var ran bool
	inject := `(() => {
	  const s = document.createElement('script');
	  s.textContent = 'window.injected = true';
	  document.body.append(s);
	  return window.injected === true;
	})()`
	if err := carol.eval(inject, &ran); err != nil || ran {
		t.Fatalf("an injected inline script ran: %v (err %v)", ran, err)
	}
	var got []string
	for deadline := time.Now().Add(5 * time.Second); len(got) == 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		got = carol.takeViolations()
	}
	if len(got) != 1 || !strings.Contains(got[0], `"directive":"script-src-elem"`) || !strings.Contains(got[0], `"blocked":"inline"`) {
		t.Fatalf("violations reported for the injected script: %q, want one of script-src-elem, inline", got)
	}

	// The home page's websocket is to the page's own host: 'self'.
	carol.register(e2ePassword)
}
