package i18n_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dynamic are the key families the pages build at run time, written as
// the pages build them, with * for the part filled in: t(`err.${reason}`)
// is "err.*", t('err.' + reason) is "err.*" too, t(`device.${kind}.camera`)
// is "device.*.camera". No scan can see which keys of a family are used, so
// every key a family matches counts as used, and a key built in a way not
// listed here fails TestKeysUsedExist: list it here when you add one (and
// prefer writing each key out, t('room.state.joining'), which the scan
// checks). A family with no key yet is harmless.
var dynamic = []string{
	"err.*",               // the server's reason codes, which the pages translate
	"admin.end.*",         // the end reasons of calls
	"auth.wait.*",         // why a form must wait
	"device.*.both",       // a device problem, said for camera and microphone
	"device.*.camera",     // the same, for the camera
	"device.*.microphone", // the same, for the microphone
	"device.unnamed.*",    // a device without a name, by kind
	"call.end.*",          // a call's end (10015), by reason
	"call.fail.*",         // an invite that could not go on (10016), by reason
	"call.path.*",         // how media goes, by candidate type
	"call.quality.bars.*", // the signal bars' count in words
}

// goKey is a Go string literal shaped like a key, which code under
// controllers/ may pass to Catalog.T or to a template (page titles).
var goKey = regexp.MustCompile(`"([a-z0-9]+(?:\.[A-Za-z0-9_]+)+)"`)

// scanUses finds every key the templates and scripts name, and every
// string literal in them shaped like a key (mentioned), which may be a key
// kept in a variable or a map for a later t().
func scanUses(t *testing.T) (uses []keyUse, mentioned map[string]bool) {
	t.Helper()
	mentioned = map[string]bool{}
	for _, pattern := range []string{"www/*.html", "static/js/*.js"} {
		files, err := filepath.Glob(filepath.Join("../..", pattern))
		if err != nil || len(files) == 0 {
			t.Fatalf("no files %s (%v)", pattern, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			uses = append(uses, usesIn(strings.TrimPrefix(f, "../../"), string(b))...)
			for _, m := range quoted.FindAllStringSubmatch(string(b), -1) {
				mentioned[m[1]] = true
			}
		}
	}
	return uses, mentioned
}

func readTable(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../static/i18n", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var table map[string]string
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	return table
}

// has says whether table has key, itself or as plural forms (key.one,
// key.other: t() picks one when given a count).
func has(table map[string]string, key string) bool {
	_, ok := table[key]
	_, plural := table[key+".other"]
	return ok || plural
}

// isDynamic says whether key is of a listed dynamic family.
func isDynamic(key string) bool {
	return slices.ContainsFunc(dynamic, func(family string) bool { return familyPattern(family).MatchString(key) })
}

// familyPattern matches the keys of a dynamic family: each * stands for a
// part of a key (no dots) or, at the end, for the rest of it.
func familyPattern(family string) *regexp.Regexp {
	parts := strings.Split(family, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	rest := `[A-Za-z0-9_-]+`
	if strings.HasSuffix(family, "*") {
		return regexp.MustCompile("^" + strings.Join(parts[:len(parts)-1], rest) + `[A-Za-z0-9_.-]+$`)
	}
	return regexp.MustCompile("^" + strings.Join(parts, rest) + "$")
}

// TestKeysUsedExist fails naming each key a template or script uses that
// en.json lacks (a page would show the key itself), and each key built at
// run time from a prefix that is not a listed dynamic family.
func TestKeysUsedExist(t *testing.T) {
	en := readTable(t, "en")
	uses, _ := scanUses(t)
	for _, u := range uses {
		switch {
		case u.dynamic && !slices.Contains(dynamic, u.key):
			t.Errorf("%s: key built at run time as %q: write the keys out, or list the family in dynamic (keys_test.go)", u.where, u.key)
		case !u.dynamic && !has(en, u.key):
			t.Errorf("%s: key %q is not in en.json", u.where, u.key)
		case !u.dynamic && u.key != strings.TrimSpace(u.key):
			t.Errorf("%s: key %q has spaces around it", u.where, u.key)
		}
	}
}

// TestKeysAreUsed fails naming each key of en.json that no template,
// script or Go code names (through .T, t() or has(), or as a string
// literal held for later), unless it is of a listed dynamic family: a
// table keeps no dead words to translate.
func TestKeysAreUsed(t *testing.T) {
	uses, used := scanUses(t)
	for _, u := range uses {
		used[u.key] = true
	}
	for _, dir := range []string{"../../controllers", "../../route"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = true
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var unused []string
	for key := range readTable(t, "en") {
		base := key
		if i := strings.LastIndexByte(key, '.'); i > 0 && slices.Contains(pluralForms, key[i+1:]) {
			base = key[:i]
		}
		if !used[key] && !used[base] && !isDynamic(key) {
			unused = append(unused, key)
		}
	}
	slices.Sort(unused)
	for _, key := range unused {
		t.Errorf("en.json key %q is used nowhere (www/*.html, static/js/*.js, controllers, route): remove it, or list its family in dynamic", key)
	}
}

// pluralForms are the endings Intl.PluralRules gives, which t() appends.
var pluralForms = []string{"zero", "one", "two", "few", "many", "other"}

// placeholder is a {name} a value is given at run time.
var placeholder = regexp.MustCompile(`\{\w+\}`)

// englishWords is two English words in a row: a value that has them and
// is the same as English's was most likely not translated.
var englishWords = regexp.MustCompile(`[A-Za-z]{2,}\s+[A-Za-z]{2,}`)

// TestTranslations checks every table against English: each value takes
// the same {placeholders} (a missing one loses a name or a number, an
// unknown one shows its braces), none is empty, and none is English's
// sentence copied over.
func TestTranslations(t *testing.T) {
	en := readTable(t, "en")
	files, err := filepath.Glob("../../static/i18n/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		lang := strings.TrimSuffix(filepath.Base(f), ".json")
		for key, v := range readTable(t, lang) {
			want, got := placeholder.FindAllString(en[key], -1), placeholder.FindAllString(v, -1)
			slices.Sort(want)
			slices.Sort(got)
			switch {
			case strings.TrimSpace(v) == "":
				t.Errorf("%s.json: %q is empty", lang, key)
			case !slices.Equal(slices.Compact(got), slices.Compact(want)):
				t.Errorf("%s.json: %q has placeholders %v, English %v", lang, key, got, want)
			case lang != "en" && v == en[key] && englishWords.MatchString(v):
				t.Errorf("%s.json: %q is English's words, untranslated: %q", lang, key, v)
			}
		}
	}
}

func TestFamilyPattern(t *testing.T) {
	for _, tc := range []struct {
		family, key string
		match       bool
	}{
		{"err.*", "err.too_long", true},
		{"err.*", "err.limit.chars", true},
		{"err.*", "err.", false},
		{"err.*", "error.x", false},
		{"device.*.camera", "device.denied.camera", true},
		{"device.*.camera", "device.camera", false},
		{"device.*.camera", "device.a.b.camera", false},
		{"device.*.camera", "device.denied.camera.x", false},
	} {
		if got := familyPattern(tc.family).MatchString(tc.key); got != tc.match {
			t.Errorf("%q matches %q: %v, want %v", tc.family, tc.key, got, tc.match)
		}
	}
}
