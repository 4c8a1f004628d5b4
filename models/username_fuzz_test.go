package models_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"callapp/models"
)

// FuzzUsername checks that cleaning and normalizing agree with each other
// for any input, and that every name registration accepts has a stable key.
func FuzzUsername(f *testing.F) {
	for _, s := range []string{"bob", "ＲＯＯＴ_ＡＤＭＩＮ", "root_аdmin", "ᵇᵒᵇ", "z" + strings.Repeat("\u0301", 31),
		"straße", "ΟΔΥΣΣΕΥΣ", "ｶﾞｷﾞ", "bob\u202egnp", "ज़िंदगी", " jo\u0308rg\t", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		clean, key := models.CleanUsername(s), models.NormalizeUsername(s)
		if again := models.CleanUsername(clean); again != clean {
			t.Fatalf("CleanUsername not idempotent: %q then %q", clean, again)
		}
		if k := models.NormalizeUsername(clean); k != key {
			t.Fatalf("key of %q is %q, key of its clean form %q is %q", s, key, clean, k)
		}
		err := models.ValidateUsername(clean)
		var fe *models.FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != "username") {
			t.Fatalf("ValidateUsername(%q) = %v, want a username FieldError", clean, err)
		}
		if err == nil {
			checkAccepted(t, clean, key)
		}
	})
}

// checkAccepted holds for every name registration accepts: its key is
// valid text that normalizes to itself, so login finds the account by it.
func checkAccepted(t *testing.T, clean, key string) {
	t.Helper()
	if !utf8.ValidString(clean) || !utf8.ValidString(key) {
		t.Fatalf("accepted %q with key %q: invalid UTF-8", clean, key)
	}
	if n := utf8.RuneCountInString(clean); n < models.UsernameMinLen || n > models.UsernameMaxLen {
		t.Fatalf("accepted %q of %d characters", clean, n)
	}
	if k := models.NormalizeUsername(key); k != key {
		t.Fatalf("accepted %q: key %q normalizes again to %q", clean, key, k)
	}
}
