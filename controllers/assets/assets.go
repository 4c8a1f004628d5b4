// Package assets serves the front end's static files with versioned URLs
// and compression: each file's URL carries a hash of its content, so that
// browsers may keep it for a year and an upgrade is never served stale.
//
// Scripts are ES modules that import each other by relative URLs
// ('./api.js', '../vendor/vue/...'), which carry no hash. Rather than
// rewriting the scripts, every page's head holds one import map (ImportMap)
// sending each module's plain URL to its versioned one: the browser
// resolves a relative import to the plain URL first, then maps it, so a
// page's whole module graph comes from one release. The scripts are served
// byte for byte as written, and a browser without import maps still gets
// every module right, revalidated (no-cache and an ETag) instead of cached.
package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// Index is the files of a static tree, read once, by name relative to it.
type Index struct {
	prefix    string // the URL path the tree is served at, with a trailing /
	files     map[string]*file
	importMap template.HTML
	scriptSrc string // the CSP source of importMap
}

// file is one static file and how it is sent.
type file struct {
	body  []byte
	ctype string // empty: http.ServeContent sniffs it
	hash  string // of body: the URL's version and the ETag

	gzipOnce sync.Once
	gzipped  []byte // nil when not worth sending, or not compressible
}

// immutable is the caching of a versioned URL: its content never changes.
const immutable = "public, max-age=31536000, immutable"

// compressible are the extensions of the text files worth gzipping; fonts
// and images are compressed already.
var compressible = map[string]bool{".js": true, ".css": true, ".json": true, ".svg": true, ".html": true, ".txt": true, ".md": true, ".map": true}

// New reads every file of fsys, to be served under prefix (a URL path such
// as "/webrtc/static").
func New(fsys fs.FS, prefix string) (*Index, error) {
	x := &Index{prefix: strings.TrimSuffix(prefix, "/") + "/", files: map[string]*file{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		x.files[name] = &file{body: body, ctype: mime.TypeByExtension(path.Ext(name)), hash: hex.EncodeToString(sum[:8])}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	return x, x.buildImportMap()
}

// buildImportMap maps the plain URL of every module to its versioned URL.
func (x *Index) buildImportMap() error {
	imports := map[string]string{}
	for name, f := range x.files {
		if path.Ext(name) == ".js" {
			imports[x.prefix+name] = x.url(name, f)
		}
	}
	b, err := json.Marshal(map[string]any{"imports": imports}) // keys sorted: the same text, and hash, every start
	if err != nil {
		return fmt.Errorf("assets: import map: %w", err)
	}
	sum := sha256.Sum256(b)
	x.importMap = template.HTML(`<script type="importmap">` + string(b) + `</script>`)
	x.scriptSrc = "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	return nil
}

func (x *Index) url(name string, f *file) string { return x.prefix + name + "?v=" + f.hash }

// URL is the versioned URL of the file name (relative to the tree, such
// as "js/page.js"); an error for a file the tree does not have, so that a
// template naming one fails loudly.
func (x *Index) URL(name string) (string, error) {
	f, ok := x.files[name]
	if !ok {
		return "", fmt.Errorf("assets: no static file %q", name)
	}
	return x.url(name, f), nil
}

// ImportMap is the <script type="importmap"> element every page puts in
// its head, before any module script.
func (x *Index) ImportMap() template.HTML { return x.importMap }

// ScriptSource is the Content-Security-Policy source that allows the
// import map, an inline script: its hash.
func (x *Index) ScriptSource() string { return x.scriptSrc }

// Serve answers r with the file name, reporting false, having written
// nothing, when there is no such file. The request's version (?v=) decides
// the caching: the current hash is kept a year; none or a stale one (a
// page of an older release) must be revalidated, by its ETag.
func (x *Index) Serve(w http.ResponseWriter, r *http.Request, name string) bool {
	f, ok := x.files[name]
	if !ok {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", immutable)
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if f.ctype != "" {
		h.Set("Content-Type", f.ctype)
	}
	body, etag := f.body, `"`+f.hash+`"`
	if gz := f.gzip(name); gz != nil && AcceptsGzip(r.Header.Get("Accept-Encoding")) {
		// Another representation, so another strong ETag.
		body, etag = gz, `"`+f.hash+`-gzip"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match with 304, ranges and HEAD.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
	return true
}

// gzip is the file compressed, made on the first request that could use
// it (the app starts without the cost), or nil when it is not worth it.
func (f *file) gzip(name string) []byte {
	f.gzipOnce.Do(func() {
		if !compressible[path.Ext(name)] {
			return
		}
		if gz := Gzip(f.body, gzip.BestCompression); len(gz) < len(f.body) {
			f.gzipped = gz
		}
	})
	return f.gzipped
}

// Gzip is body compressed at level (a gzip level, such as
// gzip.BestCompression).
func Gzip(body []byte, level int) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		zw = gzip.NewWriter(&buf)
	}
	_, _ = zw.Write(body) // a bytes.Buffer does not fail
	_ = zw.Close()
	return buf.Bytes()
}

// AcceptsGzip reports whether an Accept-Encoding header allows gzip:
// named with a q above 0, or not named and * allowed.
func AcceptsGzip(header string) bool {
	gzipOK, star := -1, -1 // -1 not named, 0 refused, 1 allowed
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		allowed := 1
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok && strings.Trim(q, ".0 ") == "" {
			allowed = 0
		}
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip", "x-gzip":
			gzipOK = allowed
		case "*":
			star = allowed
		}
	}
	return gzipOK == 1 || (gzipOK == -1 && star == 1)
}
