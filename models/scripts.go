package models

import (
	"slices"
	"sync"
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
// and Inherited ones that every script shares, and for unassigned runes.
func scriptOf(r rune) string {
	ranges := scriptRanges()
	i, found := slices.BinarySearchFunc(ranges, r, func(s scriptRange, r rune) int {
		switch {
		case s.hi < r:
			return -1
		case s.lo > r:
			return 1
		}
		return 0
	})
	if !found {
		return ""
	}
	return ranges[i].name
}

// scriptRange is a run of code points of one script.
type scriptRange struct {
	lo, hi rune
	name   string
}

// scriptRanges is unicode.Scripts but Common and Inherited as one sorted
// list, so that a lookup is one binary search instead of one per script:
// the start-up check of every stored username depends on it.
var scriptRanges = sync.OnceValue(func() []scriptRange {
	var ranges []scriptRange
	add := func(lo, hi, stride rune, name string) {
		for ; stride > 1 && lo <= hi; lo += stride {
			ranges = append(ranges, scriptRange{lo, lo, name})
		}
		if stride == 1 {
			ranges = append(ranges, scriptRange{lo, hi, name})
		}
	}
	for name, table := range unicode.Scripts {
		if name == "Common" || name == "Inherited" {
			continue
		}
		for _, r := range table.R16 {
			add(rune(r.Lo), rune(r.Hi), rune(r.Stride), name)
		}
		for _, r := range table.R32 {
			add(rune(r.Lo), rune(r.Hi), rune(r.Stride), name)
		}
	}
	slices.SortFunc(ranges, func(a, b scriptRange) int { return int(a.lo - b.lo) })
	return ranges
})

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
