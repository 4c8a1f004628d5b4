package models

import (
	"testing"
	"unicode"
)

// scriptOf agrees with the unicode tables at both ends of every range of
// every script, and in between for strided ranges.
func TestScriptOfMatchesTables(t *testing.T) {
	want := func(r rune) string {
		for name, table := range unicode.Scripts {
			if unicode.Is(table, r) && name != "Common" && name != "Inherited" {
				return name
			}
		}
		return ""
	}
	check := func(r rune) {
		for _, r := range []rune{r - 1, r, r + 1} {
			if got, w := scriptOf(r), want(r); got != w {
				t.Fatalf("scriptOf(%U) = %q, want %q", r, got, w)
			}
		}
	}
	for _, table := range unicode.Scripts {
		for _, r := range table.R16 {
			check(rune(r.Lo))
			check(rune(r.Hi))
		}
		for _, r := range table.R32 {
			check(rune(r.Lo))
			check(rune(r.Hi))
		}
	}
	for _, r := range []rune{'a', 'а', 'α', '李', 'ひ', 'カ', '한', '0', '_', '\u0301', 0x10FFFF, -1} {
		check(r)
	}
}
