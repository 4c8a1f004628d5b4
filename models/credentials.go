package models

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Limits on account credentials.
const (
	UsernameMinLen = 3  // characters
	UsernameMaxLen = 32 // characters
	PasswordMinLen = 8  // bytes
	PasswordMaxLen = 72 // bytes: bcrypt ignores anything past 72
)

// Credentials is the body of register and login requests (JSON or form).
type Credentials struct {
	Username string `json:"username" form:"username"`
	Password string `json:"password" form:"password"`
}

// FieldError names the field a validation rule failed on.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// CleanUsername returns the username in Unicode NFC with surrounding space
// trimmed, the form in which it is stored and shown.
func CleanUsername(s string) string {
	return norm.NFC.String(strings.TrimSpace(s))
}

// NormalizeUsername returns the key that makes usernames unique: NFC and
// full Unicode case folding, so "jörg" and "JÖRG" collide.
func NormalizeUsername(s string) string {
	return norm.NFC.String(cases.Fold().String(CleanUsername(s)))
}

// ValidateUsername checks a cleaned username against the registration rule.
func ValidateUsername(name string) error {
	n := utf8.RuneCountInString(name)
	if n < UsernameMinLen || n > UsernameMaxLen {
		return &FieldError{"username", fmt.Sprintf("must be %d-%d characters", UsernameMinLen, UsernameMaxLen)}
	}
	for i, r := range name {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '_', r == '.', r == '-':
		case unicode.IsMark(r) && i > 0: // combining marks some scripts need
		default:
			return &FieldError{"username", "may contain only letters, digits, '_', '.' and '-'"}
		}
	}
	return nil
}

// ValidatePassword checks a password's length in bytes.
func ValidatePassword(pw string) error {
	if len(pw) < PasswordMinLen || len(pw) > PasswordMaxLen {
		return &FieldError{"password", fmt.Sprintf("must be %d-%d bytes", PasswordMinLen, PasswordMaxLen)}
	}
	return nil
}

// Validate cleans the username and checks both fields for registration.
func (c *Credentials) Validate() error {
	c.Username = CleanUsername(c.Username)
	if err := ValidateUsername(c.Username); err != nil {
		return err
	}
	return ValidatePassword(c.Password)
}
