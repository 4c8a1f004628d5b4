package models

import (
	"strings"
	"testing"
)

func TestCleanChat(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{"  hi  ", "hi", ""},
		{" \t\n\u00a0\u3000 ", "", ReasonEmpty},
		{"", "", ReasonEmpty},
		{strings.Repeat("é", ChatMaxRunes), strings.Repeat("é", ChatMaxRunes), ""},
		{" " + strings.Repeat("😀", ChatMaxRunes) + " ", strings.Repeat("😀", ChatMaxRunes), ""},
		{strings.Repeat("a", ChatMaxRunes+1), "", ReasonTooLong},
		{"<b>as given</b>", "<b>as given</b>", ""},
		{"two\nlines\tand a tab", "two\nlines\tand a tab", ""},
		{"a\x00b", "", ReasonControlChar},
		{"\x00", "", ReasonControlChar},
		{"red \x1b[31m", "", ReasonControlChar},
		{"back\rspace", "", ReasonControlChar},
		{"del\x7f", "", ReasonControlChar},
		{"   \n", "", ReasonEmpty},
		{"\u200b\u200d\ufeff", "", ReasonEmpty},
		{" \u3164\u115f\u1160\uffa0 \u2800 \u2060", "", ReasonEmpty},
		{"\ufe0f\u034f", "", ReasonEmpty},
		{"👩\u200d💻", "👩\u200d💻", ""},
	}
	for _, tt := range tests {
		got, reason := CleanChat(tt.in)
		if got != tt.want || reason != tt.reason {
			t.Errorf("CleanChat(%.20q) = %.20q, %q; want %.20q, %q", tt.in, got, reason, tt.want, tt.reason)
		}
	}
}
