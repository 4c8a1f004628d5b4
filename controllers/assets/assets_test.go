package assets

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                        false,
		"gzip":                    true,
		"gzip, deflate, br, zstd": true,
		"br;q=1.0, GZIP;q=0.5":    true,
		"gzip;q=0":                false,
		"gzip; q=0.000, identity": false,
		"identity":                false,
		"*":                       true,
		"*, gzip;q=0":             false,
		"deflate, *;q=0":          false,
		"x-gzip":                  true,
		"gzipped":                 false,
	} {
		if got := AcceptsGzip(header); got != want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// TestIndex: URLs carry the content's hash, the import map covers every
// module and nothing else, and a file is compressed only when it is text
// and gets smaller.
func TestIndex(t *testing.T) {
	text := strings.Repeat("export const a = 'aaaaaaaa';\n", 50)
	x, err := New(fstest.MapFS{
		"js/a.js":    {Data: []byte(text)},
		"js/b.js":    {Data: []byte(text + "//")},
		"css/c.css":  {Data: []byte("p{}")},
		"img/d.webp": {Data: []byte(strings.Repeat("x", 500))},
	}, "/static/")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := x.URL("js/a.js")
	b, _ := x.URL("js/b.js")
	if !strings.HasPrefix(a, "/static/js/a.js?v=") || !strings.HasPrefix(b, "/static/js/b.js?v=") || a[len(a)-16:] == b[len(b)-16:] {
		t.Errorf("URLs %q and %q: want each versioned by its own content", a, b)
	}
	if _, err := x.URL("js/nope.js"); err == nil {
		t.Error("a URL for a file that is not there")
	}
	m := string(x.ImportMap())
	if !strings.Contains(m, `"/static/js/a.js":"`+a+`"`) || !strings.Contains(m, `"/static/js/b.js":"`+b+`"`) || strings.Contains(m, "c.css") {
		t.Errorf("import map %s", m)
	}
	for name, want := range map[string]string{"js/a.js": "gzip", "css/c.css": "", "img/d.webp": ""} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/static/"+name, nil)
		r.Header.Set("Accept-Encoding", "gzip")
		if !x.Serve(w, r, name) {
			t.Fatalf("%s not served", name)
		}
		if got := w.Header().Get("Content-Encoding"); got != want {
			t.Errorf("%s: Content-Encoding %q, want %q", name, got, want)
		}
	}
	if x.Serve(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/static/js", nil), "js") {
		t.Error("a directory served")
	}
}
