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
		pw string
		ok bool
	}{
		{"", false},
		{"1234567", false},
		{"12345678", true},
		{"ööö", false}, // 6 bytes
		{"öööö", true}, // 4 characters but 8 bytes
		{strings.Repeat("x", 72), true},
		{strings.Repeat("x", 73), false},
		{strings.Repeat("ö", 36), true},  // 72 bytes
		{strings.Repeat("ö", 37), false}, // 37 characters but 74 bytes: bcrypt would drop the tail
		{"pass word with spaces", true},
	}
	for _, tt := range tests {
		err := models.ValidatePassword(tt.pw)
		var fe *models.FieldError
		switch {
		case tt.ok && err != nil:
			t.Errorf("ValidatePassword(%d bytes) = %v, want ok", len(tt.pw), err)
		case !tt.ok && (!errors.As(err, &fe) || fe.Field != "password" || !strings.Contains(fe.Message, "8-72 bytes")):
			t.Errorf("ValidatePassword(%d bytes) = %v, want a password FieldError naming 8-72 bytes", len(tt.pw), err)
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
		cred  models.Credentials
		field string
	}{
		{models.Credentials{Username: "ab", Password: "short"}, "username"}, // username first
		{models.Credentials{Username: "<b>", Password: "correct horse"}, "username"},
		{models.Credentials{Username: "bob", Password: "short"}, "password"},
		{models.Credentials{Username: "   ", Password: "correct horse"}, "username"},
	}
	for _, tt := range tests {
		err := tt.cred.Validate()
		var fe *models.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("Validate(%+v) = %v, want a %s error", tt.cred, err, tt.field)
		}
	}
}
