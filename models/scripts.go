package models

import (
	"slices"
	"unicode"
)

// scriptsMixes lists the sets of scripts one username may combine, from the
// Highly Restrictive level of Unicode TS #39: Japanese, Chinese with
// Bopomofo, and Korean, each also with Latin. Any other name uses a single
// script, besides characters common to all (digits, '_', '.', '-') and
// marks that take the script of their letter.
var scriptsMixes = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"},
	{"Latin", "Han", "Bopomofo"},
	{"Latin", "Han", "Hangul"},
}

// scriptsOf returns the scripts of name's characters in order of first use,
// leaving out Common and Inherited.
func scriptsOf(name string) []string {
	var scripts []string
	for _, r := range name {
		if s := scriptOf(r); s != "" && !slices.Contains(scripts, s) {
			scripts = append(scripts, s)
		}
	}
	return scripts
}

// scriptOf names r's script from the unicode tables, or "" for the Common
// and Inherited ones that every script shares.
func scriptOf(r rune) string {
	if unicode.In(r, unicode.Common, unicode.Inherited) {
		return ""
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return "" // unassigned
}

// scriptsMayMix reports whether one username may use all of scripts.
func scriptsMayMix(scripts []string) bool {
	if len(scripts) <= 1 {
		return true
	}
	for _, mix := range scriptsMixes {
		if subset(scripts, mix) {
			return true
		}
	}
	return false
}

func subset(small, large []string) bool {
	for _, s := range small {
		if !slices.Contains(large, s) {
			return false
		}
	}
	return true
}
