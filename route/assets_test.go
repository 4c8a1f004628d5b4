package route_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// answer is a whole HTTP answer, its body as sent (not decompressed).
type answer struct {
	status int
	header http.Header
	body   []byte
}

// fetch GETs path with c; header lists names and values. Setting
// Accept-Encoding keeps Go's client from decompressing on its own.
func (a *app) fetch(c *http.Client, path string, header ...string) answer {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.URL+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, body}
}

var (
	// assetURL finds the static URLs a page names in src, href and content.
	assetURL  = regexp.MustCompile(`(?:src|href|content)="(/webrtc/static/[^"]+)"`)
	importMap = regexp.MustCompile(`<script type="importmap">(.*?)</script>`)
)

// staticFile is the file under static/ that a URL names.
func staticFile(t *testing.T, url string) []byte {
	t.Helper()
	name, _, _ := strings.Cut(strings.TrimPrefix(url, "/webrtc/static/"), "?")
	b, err := os.ReadFile(filepath.Join("..", "static", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVersionedAssets: every asset URL of a page carries its content's
// hash and is kept a year, compressed for a client that takes gzip; the
// modules' own imports are versioned through the import map.
func TestVersionedAssets(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	anon := a.Client()
	page := a.fetch(anon, "/webrtc/login")
	if cc := page.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("login page: Cache-Control %q, want no-store", cc)
	}
	if gz := a.fetch(anon, "/webrtc/login", "Accept-Encoding", "gzip"); gz.header.Get("Content-Encoding") != "gzip" ||
		gz.header.Get("Vary") != "Accept-Encoding" || !bytes.Equal(gunzip(t, gz.body), page.body) {
		t.Errorf("login page, gzip accepted: Content-Encoding %q, Vary %q: want the same page compressed",
			gz.header.Get("Content-Encoding"), gz.header.Get("Vary"))
	}
	var urls []string
	for _, m := range assetURL.FindAllSubmatch(page.body, -1) {
		urls = append(urls, string(m[1]))
	}
	m := importMap.FindSubmatch(page.body)
	if m == nil {
		t.Fatalf("login page has no import map:\n%s", page.body)
	}
	var imap struct{ Imports map[string]string }
	if err := json.Unmarshal(m[1], &imap); err != nil {
		t.Fatalf("import map: %v", err)
	}
	modules, _ := filepath.Glob("../static/js/*.js")
	modules = append(modules, "../static/vendor/vue/vue.esm-browser.prod.js")
	for _, path := range modules {
		plain := "/webrtc/static/" + strings.TrimPrefix(filepath.ToSlash(path), "../static/")
		if v := imap.Imports[plain]; !strings.HasPrefix(v, plain+"?v=") {
			t.Errorf("import map sends %s to %q, want it versioned", plain, v)
		} else {
			urls = append(urls, v)
		}
	}
	if len(urls) < len(modules)+4 { // the two stylesheets, page.js and the words
		t.Fatalf("login page names only %q", urls)
	}

	for _, url := range urls {
		want := staticFile(t, url)
		r := a.fetch(anon, url, "Accept-Encoding", "gzip, deflate, br")
		if r.status != http.StatusOK || r.header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
			r.header.Get("Vary") != "Accept-Encoding" || r.header.Get("ETag") == "" {
			t.Errorf("%s: %d, Cache-Control %q, Vary %q, ETag %q: want 200, immutable, Vary and an ETag", url, r.status,
				r.header.Get("Cache-Control"), r.header.Get("Vary"), r.header.Get("ETag"))
		}
		if enc := r.header.Get("Content-Encoding"); enc != "gzip" {
			t.Errorf("%s: Content-Encoding %q, want gzip", url, enc)
			continue
		}
		if !bytes.Equal(gunzip(t, r.body), want) {
			t.Errorf("%s: gzip body is not the file", url)
		}
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUnversionedAssets: a URL without the current hash (a module imported
// by a browser without import maps, a page of an older release) is sent
// with an ETag to revalidate, and revalidation costs no body.
func TestUnversionedAssets(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	anon := a.Client()
	const url = "/webrtc/static/js/api.js"
	want := staticFile(t, url)
	for _, path := range []string{url, url + "?v=0123456789abcdef"} {
		r := a.fetch(anon, path)
		etag := r.header.Get("ETag")
		if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-cache" || !strings.HasPrefix(etag, `"`) ||
			r.header.Get("Content-Encoding") != "" || !bytes.Equal(r.body, want) {
			t.Errorf("%s: %d, Cache-Control %q, ETag %q, Content-Encoding %q, body the file %v: want 200, no-cache, a strong ETag, the file itself",
				path, r.status, r.header.Get("Cache-Control"), etag, r.header.Get("Content-Encoding"), bytes.Equal(r.body, want))
		}
		again := a.fetch(anon, path, "If-None-Match", etag)
		if again.status != http.StatusNotModified || len(again.body) != 0 {
			t.Errorf("%s again with If-None-Match %s: %d with %d bytes, want 304 and nothing", path, etag, again.status, len(again.body))
		}
		gz := a.fetch(anon, path, "Accept-Encoding", "gzip")
		if gz.header.Get("Content-Encoding") != "gzip" || gz.header.Get("ETag") == etag {
			t.Errorf("%s gzipped: Content-Encoding %q, ETag %q: want gzip and an ETag of its own", path, gz.header.Get("Content-Encoding"), gz.header.Get("ETag"))
		}
	}
	if r := a.fetch(anon, url, "Accept-Encoding", "gzip;q=0, identity"); r.header.Get("Content-Encoding") != "" {
		t.Errorf("gzip refused with q=0, and sent: Content-Encoding %q", r.header.Get("Content-Encoding"))
	}
}

// TestImportMapAllowedByHash: the import map is the one inline script of
// the pages, the same on every page, and the policy allows it by its hash.
func TestImportMapAllowedByHash(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	alice, anon := a.Register("alice"), a.Client()
	var maps []string
	for _, path := range []string{"/webrtc/login", "/webrtc/in", "/webrtc/admin", "/webrtc/nope"} {
		c := alice
		if path == "/webrtc/login" {
			c = anon
		}
		r := a.fetch(c, path, "Accept", "text/html")
		m := importMap.FindSubmatch(r.body)
		if m == nil {
			t.Fatalf("%s: no import map", path)
		}
		sum := sha256.Sum256(m[1])
		want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' 'unsafe-eval' "+want+";") {
			t.Errorf("%s: the policy %q does not allow the import map, %s", path, csp, want)
		}
		if n := strings.Count(string(r.body), "<script"); n != 3 && n != 2 { // the map, the module, maybe the user's JSON
			t.Errorf("%s: %d scripts", path, n)
		}
		maps = append(maps, string(m[1]))
	}
	for _, m := range maps[1:] {
		if m != maps[0] {
			t.Errorf("the pages differ in their import maps:\n%s\n%s", maps[0], m)
		}
	}
}
