package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// netRequest is one request of a tab, as the DevTools protocol reports it.
type netRequest struct {
	URL      string
	Status   int64
	Encoding string  // the response's Content-Encoding
	Cached   bool    // answered by the browser's cache, not the server
	Bytes    float64 // encodedDataLength: bytes over the wire, headers included
	Done     bool
}

// netLog records the requests of a tab (websockets are not requests).
type netLog struct {
	mu   sync.Mutex
	reqs map[network.RequestID]*netRequest
}

// recordNetwork starts recording p's requests.
func recordNetwork(p *page) *netLog {
	l := &netLog{reqs: map[network.RequestID]*netRequest{}}
	chromedp.ListenTarget(p.ctx, l.onEvent)
	p.run(5*time.Second, "enable network events", network.Enable())
	return l
}

func (l *netLog) onEvent(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		l.reqs[ev.RequestID] = &netRequest{URL: ev.Request.URL}
	case *network.EventRequestServedFromCache:
		if r := l.reqs[ev.RequestID]; r != nil {
			r.Cached = true
		}
	case *network.EventResponseReceived:
		if r := l.reqs[ev.RequestID]; r != nil {
			r.Status = ev.Response.Status
			r.Cached = r.Cached || ev.Response.FromDiskCache || ev.Response.FromPrefetchCache || ev.Response.FromServiceWorker
			for k, v := range ev.Response.Headers {
				if strings.EqualFold(k, "Content-Encoding") {
					r.Encoding = fmt.Sprint(v)
				}
			}
		}
	case *network.EventLoadingFinished:
		if r := l.reqs[ev.RequestID]; r != nil {
			r.Bytes, r.Done = ev.EncodedDataLength, true
		}
	case *network.EventLoadingFailed:
		if r := l.reqs[ev.RequestID]; r != nil {
			r.Done = true
		}
	}
}

// isAPI tells the page's API calls, which are not the page's weight.
func isAPI(url string) bool { return strings.Contains(url, "/webrtc/api/") }

// visit opens path in p, waits for ready and for every request but the
// API calls to finish, and returns those requests.
func (l *netLog) visit(p *page, path, ready string) []netRequest {
	p.t.Helper()
	l.mu.Lock()
	l.reqs = map[network.RequestID]*netRequest{}
	l.mu.Unlock()
	p.navigate(path)
	p.waitFor(20*time.Second, path+" ready", ready)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var out []netRequest
		pending := ""
		l.mu.Lock()
		for _, r := range l.reqs {
			switch {
			case isAPI(r.URL):
			case !r.Done:
				pending = r.URL
			default:
				out = append(out, *r)
			}
		}
		l.mu.Unlock()
		if pending == "" {
			return out
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: %s still loading", path, pending)
		}
	}
}

// weight is what a visit moved over the network.
func weight(reqs []netRequest) (bytes float64, fromNet int) {
	for _, r := range reqs {
		if !r.Cached {
			bytes += r.Bytes
			fromNet++
		}
	}
	return bytes, fromNet
}

// pageReady is true once a page has its words and Vue has mounted it (the
// error page mounts nothing).
const pageReady = `document.readyState === 'complete' && !document.querySelector('[v-cloak]') &&
  performance.getEntriesByType('resource').some((e) => e.name.includes('/static/i18n/'))`

// TestE2EPageWeight: each page's first visit (empty cache) loads versioned,
// compressed assets; a repeat visit moves only the page itself (and the
// API calls, not counted): every asset comes from the browser's cache
// without asking the server. The figures are logged for docs/performance.md.
func TestE2EPageWeight(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv()...)
	alice := newPage(t, browser, app, "alice")
	alice.register(e2ePassword) // the first account: an admin
	anon := newPage(t, browser, app, "anon")
	pages := []struct {
		p          *page
		name, path string
		status     int64
	}{
		{anon, "login", "/webrtc/login", 200},
		{anon, "register", "/webrtc/register", 200},
		{anon, "404", "/webrtc/nope", 404},
		{alice, "home", "/webrtc/in", 200},
		{alice, "room", "/webrtc/room/weight", 200},
		{alice, "live", "/webrtc/live/nobody", 200},
		{alice, "admin", "/webrtc/admin", 200},
	}
	logs := map[*page]*netLog{alice: recordNetwork(alice), anon: recordNetwork(anon)}
	var table []string
	for _, pg := range pages {
		p, l := pg.p, logs[pg.p]
		p.run(5*time.Second, "clear the cache", network.ClearBrowserCache())
		first := l.visit(p, pg.path, pageReady)
		for _, r := range first {
			static := strings.Contains(r.URL, "/webrtc/static/")
			switch {
			case !static:
				if r.Status != pg.status {
					t.Errorf("%s: %s answered %d, want %d", pg.name, r.URL, r.Status, pg.status)
				}
			case r.Cached || r.Status != 200 || !strings.Contains(r.URL, "?v="):
				t.Errorf("%s, first visit: %s: %d, from the cache %v: want every asset from the server, versioned", pg.name, r.URL, r.Status, r.Cached)
			case r.Encoding != "gzip":
				t.Errorf("%s, first visit: %s sent without compression (Content-Encoding %q)", pg.name, r.URL, r.Encoding)
			}
		}
		p.run(10*time.Second, "leave the page", chromedp.Navigate("about:blank"))
		repeat := l.visit(p, pg.path, pageReady)
		for _, r := range repeat {
			if strings.Contains(r.URL, "/webrtc/static/") && !r.Cached {
				t.Errorf("%s, repeat visit: %s asked of the server (%d, %.0f bytes): want it from the cache", pg.name, r.URL, r.Status, r.Bytes)
			}
		}
		var files []string
		for _, r := range first {
			if name, ok := strings.CutPrefix(r.URL, app.url+"/webrtc/static/"); ok {
				files = append(files, strings.Split(name, "?")[0])
			}
		}
		slices.Sort(files)
		t.Logf("%s loads %s", pg.name, strings.Join(files, " "))
		b1, n1 := weight(first)
		b2, n2 := weight(repeat)
		if n2 != 1 {
			t.Errorf("%s, repeat visit: %d requests to the server, want the page alone", pg.name, n2)
		}
		row := fmt.Sprintf("| %s | %d | %.1f KB | %d | %.1f KB |", pg.name, n1, b1/1024, n2, b2/1024)
		table = append(table, row)
		t.Log(row)
	}
	t.Logf("page weight (requests and bytes over the wire, headers included, API calls and the websocket left out):\n"+
		"| page | first visit requests | first visit | repeat visit requests | repeat visit |\n|---|---|---|---|---|\n%s",
		strings.Join(table, "\n"))
}

// TestE2EErrorPageLanguages: the 404 page a browser gets is a page in the
// reader's language, whose switcher works like every page's.
func TestE2EErrorPageLanguages(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv()...)
	anon := newPage(t, browser, app, "anon")
	anon.navigate("/webrtc/no/such/page")
	for _, lang := range []string{"en", "zh-CN"} {
		var table map[string]string
		b, err := os.ReadFile("static/i18n/" + lang + ".json")
		if err != nil || json.Unmarshal(b, &table) != nil {
			t.Fatalf("reading the %s table: %v", lang, err)
		}
		if lang != "en" {
			anon.chooseLang(lang)
		}
		anon.waitFor(20*time.Second, "the 404 page in "+lang, fmt.Sprintf(
			`document.documentElement.lang === %q && document.querySelector('h1')?.textContent === %q &&
			 document.querySelector('#error-link')?.textContent === %q && document.title.startsWith(%q)`,
			lang, table["page.notFound.heading"], table["page.goLogin"], table["page.title.notFound"]))
		anon.screenshot("404-" + lang)
	}
	anon.click("#error-link")
	anon.waitFor(20*time.Second, "the login page, from the 404 page's link", `location.pathname === '/webrtc/login'`)
}
