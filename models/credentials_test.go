package models_test

import (
	"errors"
	"strings"
	"testing"

	"callapp/models"
)

func TestValidateUsername(t *testing.T) {
	valid := []string{
		"bob", "alice_2024", "a.b-c_d", "jörg", "Ελένη", "李小龙", "Zoë", "نور", "देवनागरी",
		"jo\u0308rg",            // NFD: a combining mark after a letter
		strings.Repeat("a", 32), // 32 characters
		strings.Repeat("ö", 32), // 32 characters, 64 bytes
		"李小龙李小龙李小龙李小龙李小龙李小龙李小龙李小龙李小龙李小龙李小", // 32 characters, 96 bytes
	}
	for _, name := range valid {
		if err := models.ValidateUsername(name); err != nil {
			t.Errorf("ValidateUsername(%q) = %v, want valid", name, err)
		}
	}
	invalid := []string{
		"", "ab", "ö", "李小", // under 3 characters, although "李小" is 6 bytes
		strings.Repeat("a", 33), strings.Repeat("ö", 33),
		"bo b", " bob", "bob ", "bob\t", "bob\n", "bob\x00", "bob\x1b[31m",
		"<script>", "<script>alert(1)</script>", "bob'; DROP TABLE users;--", `x" OR "1"="1`,
		"a/b", "a@b", "a+b", "a%b", "a:b",
		"😀😀😀", "bob😀", "bob\u200b", "bob\u202egnp", // emoji, zero-width space, RTL override
		"\u0301abc", // a combining mark cannot start a name
	}
	for _, name := range invalid {
		err := models.ValidateUsername(name)
		var fe *models.FieldError
		if !errors.As(err, &fe) || fe.Field != "username" {
			t.Errorf("ValidateUsername(%q) = %v, want a username FieldError", name, err)
		}
	}
}

func TestUsernameLengthMessage(t *testing.T) {
	err := models.ValidateUsername("ab")
	if err == nil || !strings.Contains(err.Error(), "3-32") || !strings.HasPrefix(err.Error(), "username") {
		t.Errorf("error %v, want it to name the username and the 3-32 rule", err)
	}
	err = models.ValidateUsername("a b c")
	if err == nil || !strings.Contains(err.Error(), "letters, digits") {
		t.Errorf("error %v, want it to name the allowed characters", err)
	}
}

func TestNormalizeUsername(t *testing.T) {
	same := [][2]string{
		{"jörg", "JÖRG"},
		{"jörg", "jo\u0308rg"}, // NFC and NFD
		{"JO\u0308RG", "jörg"},
		{"Bob", "bOB"},
		{"  bob ", "bob"},
		{"Ελένη", "ΕΛΈΝΗ"},
		{"ΟΔΥΣΣΕΥΣ", "οδυσσευς"}, // final sigma folds like any sigma
		// Full case folding: ß (and capital ẞ) fold to "ss", so "straße"
		// and "STRASSE" are one name.
		{"straße", "STRASSE"},
		{"straße", "strasse"},
		{"STRAẞE", "straße"},
		{"\u212Aate", "kate"}, // the Kelvin sign is a K
	}
	for _, p := range same {
		if a, b := models.NormalizeUsername(p[0]), models.NormalizeUsername(p[1]); a != b {
			t.Errorf("NormalizeUsername(%q) = %q, NormalizeUsername(%q) = %q; want equal", p[0], a, p[1], b)
		}
	}
	different := [][2]string{
		{"jörg", "jorg"}, // accents are not folded away
		{"bob", "b0b"},
		{"a.b", "a_b"},
		{"李小龙", "李小"},
	}
	for _, p := range different {
		if models.NormalizeUsername(p[0]) == models.NormalizeUsername(p[1]) {
			t.Errorf("NormalizeUsername(%q) == NormalizeUsername(%q); want distinct names", p[0], p[1])
		}
	}
	if got := models.NormalizeUsername("Straße"); got != "strasse" {
		t.Errorf("NormalizeUsername(Straße) = %q, want strasse", got)
	}
}

func TestCleanUsername(t *testing.T) {
	if got := models.CleanUsername("  jo\u0308rg\t"); got != "jörg" {
		t.Errorf("CleanUsername = %q, want the NFC, trimmed jörg", got)
	}
	if got := models.CleanUsername("JÖRG"); got != "JÖRG" {
		t.Errorf("CleanUsername = %q, want case kept for display", got)
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		pw     string
		reason string // "" when valid
	}{
		{"", models.ReasonPasswordTooShort},
		{"1234567", models.ReasonPasswordTooShort},
		{"12345678", ""},
		{"ööö", models.ReasonPasswordTooShort},
		{"öööö", models.ReasonPasswordTooShort}, // 8 bytes, but 4 characters: the pages say characters
		{"öööööööö", ""},
		{strings.Repeat("x", 72), ""},
		{strings.Repeat("x", 73), models.ReasonPasswordTooLong},
		{strings.Repeat("ö", 36), ""},                           // 72 bytes
		{strings.Repeat("ö", 37), models.ReasonPasswordTooLong}, // 37 characters but 74 bytes: bcrypt would drop the tail
		{"pass word with spaces", ""},
	}
	for _, tt := range tests {
		err := models.ValidatePassword(tt.pw)
		var fe *models.FieldError
		switch {
		case tt.reason == "" && err != nil:
			t.Errorf("ValidatePassword(%q) = %v, want ok", tt.pw, err)
		case tt.reason != "" && (!errors.As(err, &fe) || fe.Field != "password" || fe.Reason != tt.reason):
			t.Errorf("ValidatePassword(%q) = %v, want a password FieldError %s", tt.pw, err, tt.reason)
		}
	}
}

func TestCredentialsValidate(t *testing.T) {
	c := models.Credentials{Username: "  jo\u0308rg ", Password: "correct horse"}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.Username != "jörg" {
		t.Errorf("Validate left username %q, want it cleaned to NFC jörg", c.Username)
	}
	tests := []struct {
		cred    models.Credentials
		reasons map[string]string // field: reason
	}{
		{models.Credentials{Username: "ab", Password: "short"}, map[string]string{
			"username": models.ReasonUsernameLength, "password": models.ReasonPasswordTooShort}},
		{models.Credentials{Username: "<b>", Password: "correct horse"}, map[string]string{"username": models.ReasonUsernameChars}},
		{models.Credentials{Username: "bob", Password: "short"}, map[string]string{"password": models.ReasonPasswordTooShort}},
		{models.Credentials{Username: "   ", Password: "correct horse"}, map[string]string{"username": models.ReasonUsernameLength}},
		{models.Credentials{Username: "root_аdmin", Password: strings.Repeat("x", 80)}, map[string]string{
			"username": models.ReasonUsernameScripts, "password": models.ReasonPasswordTooLong}},
	}
	for _, tt := range tests {
		err := tt.cred.Validate()
		var fes models.FieldErrors
		if !errors.As(err, &fes) {
			t.Errorf("Validate(%+v) = %v, want FieldErrors", tt.cred, err)
			continue
		}
		got := map[string]string{}
		for _, fe := range fes {
			got[fe.Field] = fe.Reason
		}
		if len(got) != len(tt.reasons) || len(fes) != len(tt.reasons) {
			t.Errorf("Validate(%+v) = %v, want %v", tt.cred, got, tt.reasons)
		}
		for f, r := range tt.reasons {
			if got[f] != r {
				t.Errorf("Validate(%+v): %s is %q, want %q", tt.cred, f, got[f], r)
			}
		}
		// Each error is still a FieldError to errors.As, username first.
		var fe *models.FieldError
		if !errors.As(err, &fe) || fe != fes[0] {
			t.Errorf("Validate(%+v): errors.As finds %v, want the first field's error", tt.cred, fe)
		}
	}
}
