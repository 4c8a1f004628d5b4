package models_test

import (
	"strings"
	"sync"
	"testing"

	"callapp/models"
)

// Look-alikes of well-known names and their kin are refused with a message that
// says why, once cleaned as registration cleans them.
func TestLookAlikeUsernamesRefused(t *testing.T) {
	marks := func(n int) string { return strings.Repeat("\u0301", n) }
	for _, tt := range []struct{ name, msg string }{
		{"root_аdmin", "username: mixes scripts (Latin and Cyrillic)"}, // Cyrillic а
		{"раураl", "username: mixes scripts (Cyrillic and Latin)"},     // Cyrillic р, а, у
		{"Αlice", "username: mixes scripts (Greek and Latin)"},         // Greek Alpha
		{"Ωмега", "username: mixes scripts (Greek and Cyrillic)"},
		{"bob৪", "username: mixes scripts (Latin and Bengali)"}, // a Bengali digit that looks like 8
		{"ᵇᵒᵇ", "username: may not use compatibility forms of letters"},
		{"ﬁle", "username: may not use compatibility forms of letters"},
		{"z" + marks(31), "username: has more than 2 combining marks in a row"},
		{"z" + marks(3), "username: has more than 2 combining marks in a row"},
		{"\u017a" + marks(2), "username: has more than 2 combining marks in a row"}, // ź is z and a mark
		{"ab\u0301\u0308\u0327c", "username: has more than 2 combining marks in a row"},
		{"bob\u202egnp", "username: may not contain bidirectional control characters"},
		{"\u200ebob", "username: may not contain bidirectional control characters"},
		{"bob\u2067x", "username: may not contain bidirectional control characters"},
		{"نور\u061c1", "username: may not contain bidirectional control characters"},
		{"نور_", "username: right-to-left names must begin and end"},
	} {
		err := models.ValidateUsername(models.CleanUsername(tt.name))
		if err == nil || !strings.HasPrefix(err.Error(), tt.msg) {
			t.Errorf("ValidateUsername(%q) = %v, want %q", tt.name, err, tt.msg)
		}
	}
}

// Names of living scripts, and the script mixes Unicode TS #39 allows, still
// register.
func TestUsernamesOfOneScriptAccepted(t *testing.T) {
	for _, name := range []string{
		"ひらがなカタカナ漢字", "山田_太郎", "たなか2024", "한국어_2024", "김민준", "李小龙_99",
		"bob李", "ㄅㄆㄇ漢字", "Владимир", "Ελένη", "נועה", "نور1", "देवनागरी",
		"ज़िंदगी",         // nukta, vowel sign and anusvara: spacing marks break the run
		"zoe\u0301\u0308", // two marks
		"tiếng_việt",      // NFC letters
		"ＲＯＯＴ_ＡＤＭＩＮ",      // cleaned to ROOT_ADMIN
		"ｶﾀｶﾅ",            // cleaned to カタカナ
	} {
		if err := models.ValidateUsername(models.CleanUsername(name)); err != nil {
			t.Errorf("ValidateUsername(%q) = %v, want valid", name, err)
		}
	}
}

// Width forms are one name with their usual form: the full-width look-alike
// collides with the name it imitates, and is shown in its usual width.
func TestWidthFormsCollide(t *testing.T) {
	for _, p := range [][2]string{
		{"ＲＯＯＴ_ＡＤＭＩＮ", "root_admin"},
		{"ｂｏｂ", "bob"},
		{"ｶﾀｶﾅ", "カタカナ"},
		{"ﾃﾞﾝﾜ", "デンワ"}, // a half-width voiced mark composes
	} {
		if a, b := models.NormalizeUsername(p[0]), models.NormalizeUsername(p[1]); a != b {
			t.Errorf("NormalizeUsername(%q) = %q, NormalizeUsername(%q) = %q; want equal", p[0], a, p[1], b)
		}
	}
	c := models.Credentials{Username: "ＲＯＯＴ_ＡＤＭＩＮ", Password: "correct horse"}
	if err := c.Validate(); err != nil || c.Username != "ROOT_ADMIN" {
		t.Errorf("Validate: %v, username %q; want ROOT_ADMIN", err, c.Username)
	}
}

// A name the profile refuses still has a key, the one it had before, so an
// account made before the rule can log in; it never equals the imitated
// name's key.
func TestRefusedNamesKeepDistinctKeys(t *testing.T) {
	for _, p := range [][2]string{{"ᵇᵒᵇ", "bob"}, {"root_аdmin", "root_admin"}, {"Bob\u202e", "bob"}} {
		if models.NormalizeUsername(p[0]) == models.NormalizeUsername(p[1]) {
			t.Errorf("NormalizeUsername(%q) equals the key of %q", p[0], p[1])
		}
	}
	if got := models.NormalizeUsername("ROOT_аDMIN"); got != "root_аdmin" {
		t.Errorf("NormalizeUsername(ROOT_аDMIN) = %q, want the case-folded root_аdmin", got)
	}
}

// The PRECIS profile is shared by every request.
func TestNormalizeUsernameConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if models.NormalizeUsername("ＳＴＲＡẞＥ") != "strasse" || models.ValidateUsername("Ελένη") != nil {
					t.Error("wrong result under concurrency")
					return
				}
			}
		})
	}
	wg.Wait()
}
