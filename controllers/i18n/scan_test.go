package i18n_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// How the templates and scripts name keys, for keys_test.go.

// keyUse is one place a page names a key: key is the whole key, or the
// pattern of a dynamic one (with * for each part filled in at run time).
type keyUse struct {
	key, where string
	dynamic    bool
}

var (
	// templateKey is [[.T "key"]] and [[$.T "key" ...]] in www/*.html.
	templateKey = regexp.MustCompile(`\.T\s+"([^"]+)"`)
	// call is the start of a call of t() or has() (not a method such as
	// set.has), in scripts and in the Vue templates of www/*.html.
	call = regexp.MustCompile(`(?:^|[^.\w$])(?:t|has)\(`)
	// interpolation is a ${...} of a template literal.
	interpolation = regexp.MustCompile(`\$\{[^}]*\}`)
	// quoted is any string literal shaped like a key.
	quoted = regexp.MustCompile("['\"`]([a-z0-9_]+(?:\\.[A-Za-z0-9_]+)+)['\"`]")
)

// usesIn finds the keys text names; file is its name, for the messages.
// A key is named by a template's .T, or by a string literal that is the
// first argument of t() or has(), or one of the values it may take
// (t(on ? 'a.on' : 'a.off'), t(name || 'a.none')). A literal followed by +
// ('err.' + reason), or a template literal with ${...} in it, is the
// pattern of a dynamic key.
func usesIn(file, text string) []keyUse {
	var uses []keyUse
	where := func(i int) string { return file + ":" + strconv.Itoa(strings.Count(text[:i], "\n")+1) }
	if strings.HasSuffix(file, ".html") {
		for _, m := range templateKey.FindAllStringSubmatchIndex(text, -1) {
			uses = append(uses, keyUse{key: text[m[2]:m[3]], where: where(m[0])})
		}
	}
	for _, m := range call.FindAllStringIndex(text, -1) {
		for _, value := range values(firstArg(text[m[1]:])) {
			if u, ok := literalUse(value); ok {
				u.where = where(m[0])
				uses = append(uses, u)
			}
		}
	}
	return uses
}

// firstArg is the text of a call's first argument, s being what follows
// the call's "(".
func firstArg(s string) string {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"', '`':
			i = skipString(s, i)
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth == 0 {
				return s[:i]
			}
			depth--
		case ',':
			if depth == 0 {
				return s[:i]
			}
		}
	}
	return s
}

// skipString returns the index of the quote that closes the string
// literal opening at s[i].
func skipString(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case s[i]:
			return j
		}
	}
	return len(s)
}

// values splits an expression at its top-level ?, :, || and ?? into the
// parts that may be its value (and the conditions, which literalUse
// leaves out).
func values(expr string) []string {
	var parts []string
	depth, from := 0, 0
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case c == '\'' || c == '"' || c == '`':
			i = skipString(expr, i)
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case depth != 0:
		case c == '?' && i+1 < len(expr) && expr[i+1] == '.': // optional chaining
		case c == '?' || c == ':' || (c == '|' && i+1 < len(expr) && expr[i+1] == '|'):
			parts = append(parts, expr[from:i])
			for i+1 < len(expr) && (expr[i+1] == '|' || expr[i+1] == '?') {
				i++
			}
			from = i + 1
		}
	}
	return append(parts, expr[from:])
}

// literalUse is the key a part of an argument names, when the part is a
// string literal, alone or followed by + (the start of a dynamic key).
func literalUse(part string) (keyUse, bool) {
	part = strings.TrimSpace(part)
	if part == "" || !strings.ContainsRune(`'"`+"`", rune(part[0])) {
		return keyUse{}, false
	}
	end := skipString(part, 0)
	if end >= len(part) {
		return keyUse{}, false
	}
	lit, rest := part[1:end], strings.TrimSpace(part[end+1:])
	u := keyUse{key: lit}
	if part[0] == '`' && strings.Contains(lit, "${") {
		u.key, u.dynamic = interpolation.ReplaceAllString(lit, "*"), true
	}
	switch {
	case rest == "":
		return u, true
	case strings.HasPrefix(rest, "+"): // 'prefix.' + name: all after it is filled in
		u.key, u.dynamic = u.key+"*", true
		return u, true
	}
	return keyUse{}, false // a comparison, a call on the string: not a key
}

// TestUsesIn checks the scan itself on the ways pages name keys.
func TestUsesIn(t *testing.T) {
	text := `<b>[[.T "a.one"]]</b> [[range .X]][[$.T "a.two" "n" .]][[end]] {{ t('a.three', { n }) }}
t("a.four"); t(` + "`a.five`" + `); has('err.' + reason); t(` + "`end.${r}`" + `);
seen.has('not.akey'); setTimeout(x); vm.t('not.either'); [[.T .Title]] t(` + "`d.${a[b]}.x.${c || d}`" + `)
:title="t(muted ? 'a.six' : 'a.seven')" t(m.kind === 'audio' ? 'a.eight' : x?.y ?? 'a.nine', { n: f('no.key') })
t(key, params); t(then); t(reason || 'a.ten')`
	var got []string
	for _, u := range usesIn("x.html", text) {
		if u.dynamic {
			u.key = "dynamic " + u.key
		}
		got = append(got, u.key)
	}
	want := []string{"a.one", "a.two", "a.three", "a.four", "a.five", "dynamic err.*", "dynamic end.*", "dynamic d.*.x.*",
		"a.six", "a.seven", "a.eight", "a.nine", "a.ten"}
	if !slices.Equal(got, want) {
		t.Errorf("keys found\n %q, want\n %q", got, want)
	}
	if u := usesIn("x.js", "\n\n  t('k.x')"); len(u) != 1 || u[0].where != "x.js:3" {
		t.Errorf("a script's use: %+v", u)
	}
}
