package models

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on account credentials. Pages read them from static/js/limits.js,
// which a test holds to these.
const (
	UsernameMinLen = 3  // characters
	UsernameMaxLen = 32 // characters
	PasswordMinLen = 8  // characters, as the pages say it
	PasswordMaxLen = 72 // bytes: bcrypt ignores anything past 72
)

// Reasons a credential field is refused, the stable codes the pages
// translate (err.<reason> in the tables) and API clients may act on.
const (
	ReasonUsernameLength   = "username_length"    // not 3-32 characters
	ReasonUsernameChars    = "username_chars"     // other than letters, digits, '_', '.', '-'
	ReasonUsernameBidi     = "username_bidi"      // bidirectional control characters
	ReasonUsernameMarks    = "username_marks"     // too many combining marks in a row
	ReasonUsernameScripts  = "username_scripts"   // scripts that may not mix
	ReasonUsernameCompat   = "username_compat"    // compatibility forms: superscripts, ligatures
	ReasonUsernameRTL      = "username_rtl"       // a right-to-left name breaking the bidi rule
	ReasonUsernameInvalid  = "username_invalid"   // refused by RFC 8265 for another reason
	ReasonUsernameTaken    = "username_taken"     // another account has it (in any case or width)
	ReasonPasswordTooShort = "password_too_short" // fewer than PasswordMinLen characters
	ReasonPasswordTooLong  = "password_too_long"  // more than PasswordMaxLen bytes
)

// Credentials is the body of register and login requests (JSON or form).
type Credentials struct {
	Username string `json:"username" form:"username"`
	Password string `json:"password" form:"password"`
}

// FieldError names the field a validation rule failed on, the rule as a
// reason code, and the rule in English for logs and API users.
type FieldError struct {
	Field   string
	Reason  string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// FieldErrors are the rules a request broke, one per field at most, in
// the order of the form's fields.
type FieldErrors []*FieldError

func (fe FieldErrors) Error() string {
	msgs := make([]string, len(fe))
	for i, e := range fe {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap lets errors.As find each FieldError.
func (fe FieldErrors) Unwrap() []error {
	errs := make([]error, len(fe))
	for i, e := range fe {
		errs[i] = e
	}
	return errs
}

// ValidatePassword checks a password's length: at least PasswordMinLen
// characters, at most PasswordMaxLen bytes (all that bcrypt reads).
func ValidatePassword(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < PasswordMinLen:
		return &FieldError{"password", ReasonPasswordTooShort, fmt.Sprintf("must be at least %d characters", PasswordMinLen)}
	case len(pw) > PasswordMaxLen:
		return &FieldError{"password", ReasonPasswordTooLong, fmt.Sprintf("must be at most %d bytes", PasswordMaxLen)}
	}
	return nil
}

// Validate cleans the username and checks both fields for registration.
// It returns every field that breaks a rule at once, as FieldErrors, or nil.
func (c *Credentials) Validate() error {
	c.Username = CleanUsername(c.Username)
	var errs FieldErrors
	for _, err := range []error{ValidateUsername(c.Username), ValidatePassword(c.Password)} {
		if err != nil {
			errs = append(errs, err.(*FieldError))
		}
	}
	if errs == nil {
		return nil
	}
	return errs
}
