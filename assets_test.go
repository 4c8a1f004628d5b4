package main

// The files under static/ are compiled into the binary and served to every
// browser: each must be something a page loads. A vendored file no page
// names is weight carried for nothing (static/vendor/README.md says what is
// taken and why).

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// notLoaded are the files under static/ that are documentation, not assets.
var notLoaded = map[string]bool{"LICENSE": true, "README.md": true}

var (
	// lineComment and blockComment find comments in scripts and
	// stylesheets, so that a file merely mentioned does not count as loaded.
	lineComment  = regexp.MustCompile(`(?m)(^|\s)//.*$`)
	blockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
)

// TestStaticFilesAreLoaded: every file under static/ but the licences and
// notes is named by a template, a script or a stylesheet other than itself.
func TestStaticFilesAreLoaded(t *testing.T) {
	sources := pageSources(t)
	err := filepath.WalkDir("static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || notLoaded[d.Name()] {
			return err
		}
		if filepath.Dir(path) == filepath.Join("static", "i18n") {
			return nil // the words: each page names its language's table (pageData.Table)
		}
		for from, text := range sources {
			if from != path && strings.Contains(text, d.Name()) {
				return nil
			}
		}
		t.Errorf("%s is served but no template, script or stylesheet loads it: remove it (and its row in static/vendor/README.md)", path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// assetCall finds the files the templates name through [[.Asset "..."]].
var assetCall = regexp.MustCompile(`\[\[\s*\$?\.Asset\s+"([^"]+)"\s*\]\]`)

// TestTemplatesVersionAssets: the templates name static files only through
// .Asset, which versions the URL (a plain /webrtc/static/ URL would be
// revalidated on every visit), and only files that are there (.Asset fails
// the page otherwise).
func TestTemplatesVersionAssets(t *testing.T) {
	named := 0
	for path, text := range pageSources(t) {
		if !strings.HasPrefix(path, "www") {
			continue
		}
		if strings.Contains(text, "/webrtc/static/") {
			t.Errorf("%s names a static file by a plain URL: use [[.Asset \"...\"]]", path)
		}
		for _, m := range assetCall.FindAllStringSubmatch(text, -1) {
			named++
			if _, err := os.Stat(filepath.Join("static", filepath.FromSlash(m[1]))); err != nil {
				t.Errorf("%s names %s, which is not under static/", path, m[1])
			}
		}
	}
	if named == 0 {
		t.Error("no template names a file through .Asset")
	}
}

// TestNoLayuiIcons: no page uses layui's icon classes. Their font is not
// vendored, so the browser would fetch missing files and show nothing.
func TestNoLayuiIcons(t *testing.T) {
	for path, text := range pageSources(t) {
		if strings.Contains(path, "vendor") {
			continue
		}
		if strings.Contains(text, "layui-icon") {
			t.Errorf("%s uses a layui-icon class, whose font is not vendored: draw the icon in static/css/app.css", path)
		}
	}
}

// pageSources returns the templates, scripts and stylesheets, path ->
// text without comments.
func pageSources(t *testing.T) map[string]string {
	t.Helper()
	sources := map[string]string{}
	for _, pattern := range []string{"www/*.html", "static/js/*.js", "static/css/*.css", "static/vendor/*/*/*.css"} {
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			t.Fatalf("no files match %s: %v", pattern, err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sources[file] = blockComment.ReplaceAllString(lineComment.ReplaceAllString(string(b), "$1"), "")
		}
	}
	return sources
}
