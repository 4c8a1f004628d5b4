package controllers

// The pages say every reason code the server sends (HTTP answers and
// websocket 10001 errors) in the page's language, from err.<reason> in
// the tables, and check before posting with the server's own limits,
// copied into static/js/limits.js. These tests tie both to the Go source.

import (
	"encoding/json"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// constants returns the string or integer constants of the non-test files
// in dir whose names start with prefix, by name.
func constants(t *testing.T, dir, prefix string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			spec, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range spec.Names {
				if !strings.HasPrefix(name.Name, prefix) || i >= len(spec.Values) {
					continue
				}
				if lit, ok := spec.Values[i].(*ast.BasicLit); ok {
					v := constant.MakeFromLiteral(lit.Value, lit.Kind, 0)
					if v.Kind() == constant.String {
						out[name.Name] = constant.StringVal(v)
					} else {
						out[name.Name] = v.ExactString()
					}
				}
			}
			return false
		})
	}
	return out
}

func TestEveryReasonHasWords(t *testing.T) {
	var table map[string]string
	b, err := os.ReadFile("../static/i18n/en.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	reasons := constants(t, ".", "Reason")
	for name, v := range constants(t, "../models", "Reason") {
		reasons["models."+name] = v
	}
	if len(reasons) < 40 {
		t.Fatalf("found %d reason constants; the test no longer reads them", len(reasons))
	}
	for name, reason := range reasons {
		if _, ok := table["err."+reason]; !ok {
			t.Errorf("%s (%q) has no words: add err.%s to static/i18n/*.json", name, reason, reason)
		}
	}
	// The admin page says how each call ended in words.
	for name, reason := range constants(t, "../models", "Call") {
		if _, ok := table["admin.end."+reason]; !ok {
			t.Errorf("models.%s (%q) has no words: add admin.end.%s to static/i18n/*.json", name, reason, reason)
		}
	}
	// A status without a reason of its own gets one that has words too.
	for status := 400; status < 600; status++ {
		if _, ok := table["err."+defaultReason(status)]; !ok {
			t.Errorf("status %d: default reason %q has no words", status, defaultReason(status))
		}
	}
}

func TestLimitsJSMatchesModels(t *testing.T) {
	src, err := os.ReadFile("../static/js/limits.js")
	if err != nil {
		t.Fatal(err)
	}
	models := constants(t, "../models", "")
	entries := regexp.MustCompile(`(?m)^\s*(\w+):\s*(\d+),`).FindAllStringSubmatch(string(src), -1)
	if len(entries) < 5 {
		t.Fatalf("static/js/limits.js: %d entries read; keep them as `Name: 123,` lines", len(entries))
	}
	for _, e := range entries {
		if got, ok := models[e[1]]; !ok {
			t.Errorf("static/js/limits.js: %s has no constant models.%s", e[1], e[1])
		} else if got != e[2] {
			t.Errorf("static/js/limits.js: %s is %s, models.%s is %s", e[1], e[2], e[1], got)
		}
	}
}
