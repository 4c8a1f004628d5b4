package config

import (
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReadmeListsEverySetting keeps the README's configuration table in
// step with the options the server reads.
func TestReadmeListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range options {
		if !strings.Contains(string(readme), "`"+o.key+"`") {
			t.Errorf("README.md does not document CALLAPP_%s", o.key)
		}
	}
}

// computed are the defaults the README describes instead of stating:
// what Default leaves empty for the server to work out, and the CPU count.
var computed = map[string]string{
	"DB_DSN": "", "SESSION_KEY": "", "TURN_SECRET": "", "TURN_LISTEN": "", "TURN_PUBLIC_IP": "",
	"BCRYPT_PARALLEL": strconv.Itoa(runtime.NumCPU()), "NODE_ID": "",
}

// TestReadmeDefaultsAreTheDefaults: every default the README's
// configuration table states is the value Default gives the setting, so
// that a default changed in one place and not the other fails here.
func TestReadmeDefaultsAreTheDefaults(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := readmeDefaults(t, string(readme))
	if len(rows) < len(options) {
		t.Errorf("the table gives defaults of %d settings, the server has %d", len(rows), len(options))
	}
	d := Default()
	for key, stated := range rows {
		o, ok := optionOf(key)
		switch {
		case !ok:
			t.Errorf("README.md lists %s, which is no setting", key)
		case !sameValue(stated, o.get(d)):
			t.Errorf("README.md: %s defaults to %q, config.Default() to %q", key, stated, o.get(d))
		}
	}
}

var cell = regexp.MustCompile("^`([^`]*)`$")

// readmeDefaults reads the configuration table: key cells such as
// "`A` / `B`" and default cells such as "`1` / `2`", one value per key;
// a default that is not one code span is the README's description of a
// computed one.
func readmeDefaults(t *testing.T, readme string) map[string]string {
	_, table, ok := strings.Cut(readme, "| Key (`CALLAPP_…`) | Default | Meaning |")
	if !ok {
		t.Fatal("README.md: no configuration table")
	}
	out := map[string]string{}
	for _, line := range strings.Split(table, "\n")[2:] {
		cols := strings.Split(line, "|")
		if !strings.HasPrefix(line, "| `") || len(cols) < 4 {
			break
		}
		keys := strings.Split(strings.TrimSpace(cols[1]), " / ")
		defs := strings.Split(strings.TrimSpace(cols[2]), " / ")
		if defs[0] == "" { // none of the keys has a default
			defs = make([]string, len(keys))
		}
		if len(defs) != len(keys) {
			t.Errorf("README.md: %s: %d defaults for %d keys", cols[1], len(defs), len(keys))
			continue
		}
		for i, k := range keys {
			out[strings.Trim(k, "`")] = readmeValue(strings.Trim(k, "`"), strings.TrimSpace(defs[i]))
		}
	}
	return out
}

// readmeValue is a default cell's value: its code span, nothing for an
// empty cell, and for a description the computed default it stands for.
func readmeValue(key, def string) string {
	if v, ok := computed[key]; ok && def != "" {
		return v
	}
	if m := cell.FindStringSubmatch(def); m != nil {
		return m[1]
	}
	return def
}

func optionOf(key string) (option, bool) {
	for _, o := range options {
		if o.key == key {
			return o, true
		}
	}
	return option{}, false
}

// sameValue compares a stated default with the option's printed one;
// durations compare as durations ("720h" is "720h0m0s").
func sameValue(stated, got string) bool {
	if stated == got {
		return true
	}
	a, err1 := time.ParseDuration(stated)
	b, err2 := time.ParseDuration(got)
	return err1 == nil && err2 == nil && a == b
}
