package models

// The browser's protocol client, static/js/signal.js, keeps its own copy of
// the envelope codes, the methods and the close codes declared in this
// package. These tests tie the copy to the constants, so that a renumbered
// code or a renamed method fails here rather than in a user's browser.

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// jsDir holds the page scripts; protocolJS is the one that owns the tables.
const (
	jsDir      = "../static/js"
	protocolJS = "signal.js"
)

// jsTables are the tables signal.js exports; each entry Name of table T
// mirrors the Go constant TName.
var jsTables = []string{"Code", "Method", "Close"}

var (
	// tableRe finds `export const T = Object.freeze({ ... });`.
	tableRe = regexp.MustCompile(`(?s)export const (\w+) = Object\.freeze\(\{(.*?)\}\);`)
	// entryRe finds `Name: 10002` and `Name: 'User/Connect'` in a table.
	entryRe = regexp.MustCompile(`(\w+):\s*('[^'\\]*'|\d+)`)
	// commentRe finds line comments (not the // of a URL inside a string).
	commentRe = regexp.MustCompile(`(?m)(^|\s)//.*$`)
	// useRe finds uses such as Code.Welcome and Method.Invite.
	useRe = regexp.MustCompile(`\b(Code|Method|Close)\.(\w+)\b`)
	// numberRe and methodRe find numbers and method names spelled out.
	numberRe = regexp.MustCompile(`\b\d+\b`)
	methodRe = regexp.MustCompile(`['"` + "`" + `](User|Message|Call)/\w+['"` + "`" + `]`)
)

// TestSignalJSMatchesModels: every entry of signal.js's Code, Method and
// Close tables is a constant of this package with the same name and value.
func TestSignalJSMatchesModels(t *testing.T) {
	goConsts := goConstants(t)
	tables := readJSTables(t)
	for _, table := range jsTables {
		for _, name := range sortedKeys(tables[table]) {
			js, goName := tables[table][name], table+name
			switch got, ok := goConsts[goName]; {
			case !ok:
				t.Errorf("static/js/%s: %s.%s is %s, but models has no constant %s (see models/envelope.go)", protocolJS, table, name, js, goName)
			case got != js:
				t.Errorf("static/js/%s: %s.%s is %s, but models.%s is %s", protocolJS, table, name, js, goName, got)
			}
		}
	}
}

// TestSignalJSKnowsEveryCode: the client's Code table names every code the
// server may send, so that no envelope reaches the page unnamed.
func TestSignalJSKnowsEveryCode(t *testing.T) {
	codes := readJSTables(t)["Code"]
	goConsts := goConstants(t)
	for _, goName := range sortedKeys(goConsts) {
		if name, ok := strings.CutPrefix(goName, "Code"); ok {
			if _, known := codes[name]; !known {
				t.Errorf("models.%s (%s) is missing from Code in static/js/%s", goName, goConsts[goName], protocolJS)
			}
		}
	}
}

// TestJSModulesUseProtocolTables: the other scripts name codes, methods and
// close codes through signal.js's tables, and only entries that exist (a
// misspelt Code.X is undefined in JavaScript, and its handler never runs).
func TestJSModulesUseProtocolTables(t *testing.T) {
	tables := readJSTables(t)
	files, err := filepath.Glob(filepath.Join(jsDir, "*.js"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in %s: %v", jsDir, err)
	}
	for _, file := range files {
		src := stripComments(readFile(t, file))
		for _, m := range useRe.FindAllStringSubmatch(src, -1) {
			if _, ok := tables[m[1]][m[2]]; !ok {
				t.Errorf("static/js/%s uses %s.%s, which static/js/%s does not define", filepath.Base(file), m[1], m[2], protocolJS)
			}
		}
		if filepath.Base(file) == protocolJS {
			continue
		}
		for _, lit := range methodRe.FindAllString(src, -1) {
			t.Errorf("static/js/%s spells out the method %s: use Method from static/js/%s", filepath.Base(file), lit, protocolJS)
		}
		for _, n := range numberRe.FindAllString(src, -1) {
			if name := numberName(tables, n); name != "" {
				t.Errorf("static/js/%s spells out %s, the value of %s: use the table of static/js/%s (a number that merely equals it reads as well with a separator, 10_000)", filepath.Base(file), n, name, protocolJS)
			}
		}
	}
}

// readJSTables returns signal.js's tables: table -> entry -> value, the
// value written as Go would print the constant (10002, "User/Connect").
func readJSTables(t *testing.T) map[string]map[string]string {
	t.Helper()
	src := readFile(t, filepath.Join(jsDir, protocolJS))
	tables := map[string]map[string]string{}
	for _, m := range tableRe.FindAllStringSubmatch(src, -1) {
		entries := map[string]string{}
		for _, e := range entryRe.FindAllStringSubmatch(stripComments(m[2]), -1) {
			entries[e[1]] = jsValue(e[2])
		}
		tables[m[1]] = entries
	}
	for _, table := range jsTables {
		if len(tables[table]) == 0 {
			t.Fatalf("static/js/%s has no `export const %s = Object.freeze({ Name: value, ... });`: keep each protocol table in that form, which this test reads", protocolJS, table)
		}
	}
	return tables
}

// numberName names the Code or Close entry whose value is n, if any.
func numberName(tables map[string]map[string]string, n string) string {
	for _, table := range []string{"Code", "Close"} {
		for name, v := range tables[table] {
			if v == n {
				return table + "." + name
			}
		}
	}
	return ""
}

func jsValue(lit string) string {
	if s, ok := strings.CutPrefix(lit, "'"); ok {
		return strconv.Quote(strings.TrimSuffix(s, "'"))
	}
	return lit
}

// goConstants returns the constants of this package whose names start with
// a table's name, each value as Go prints it.
func goConstants(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		addConstants(t, f, consts)
	}
	return consts
}

func addConstants(t *testing.T, f *ast.File, consts map[string]string) {
	t.Helper()
	for _, decl := range f.Decls {
		if d, ok := decl.(*ast.GenDecl); ok && d.Tok == token.CONST {
			for _, spec := range d.Specs {
				addSpec(t, spec.(*ast.ValueSpec), consts)
			}
		}
	}
}

func addSpec(t *testing.T, spec *ast.ValueSpec, consts map[string]string) {
	t.Helper()
	for i, name := range spec.Names {
		if !isTableName(name.Name) {
			continue
		}
		lit, ok := valueAt(spec, i).(*ast.BasicLit)
		if !ok {
			t.Fatalf("models.%s is not a plain literal, which this test needs to compare it with static/js/%s", name.Name, protocolJS)
		}
		consts[name.Name] = constant.MakeFromLiteral(lit.Value, lit.Kind, 0).ExactString()
	}
}

func valueAt(spec *ast.ValueSpec, i int) ast.Expr {
	if i < len(spec.Values) {
		return spec.Values[i]
	}
	return nil
}

func isTableName(name string) bool {
	for _, table := range jsTables {
		if rest, ok := strings.CutPrefix(name, table); ok && rest != "" && rest[0] >= 'A' && rest[0] <= 'Z' {
			return true
		}
	}
	return false
}

func stripComments(src string) string { return commentRe.ReplaceAllString(src, "$1") }

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the page script: %v", err)
	}
	return string(b)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
