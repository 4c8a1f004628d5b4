package models

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/secure/bidirule"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// MaxCombiningRun is how many nonspacing or enclosing marks may follow one
// another in a username: enough for Vietnamese or a nukta and a vowel sign,
// too few to stack marks over the neighbouring lines of a page. Polytonic
// Greek letters with three marks are refused with it.
const MaxCombiningRun = 2

// CleanUsername returns the username as it is stored and shown: surrounding
// space trimmed, full-width and half-width forms mapped to their usual width
// (as RFC 8265 does), and Unicode NFC. Case is kept.
func CleanUsername(s string) string {
	return norm.NFC.String(width.Fold.String(strings.TrimSpace(s)))
}

// NormalizeUsername returns the key that makes usernames unique and finds
// them at login: the PRECIS UsernameCaseMapped profile of RFC 8265 (width,
// case, NFC), then full case folding so that "straße" and "STRASSE", or a
// final and a medial sigma, stay one name. A name the profile refuses keeps
// the key it had before the profile was used, so that accounts made before
// can still log in; registration refuses such names, so no new one gets it.
func NormalizeUsername(s string) string {
	clean := CleanUsername(s)
	if mapped, err := precis.UsernameCaseMapped.String(clean); err == nil {
		clean = mapped
	}
	return norm.NFC.String(cases.Fold().String(clean))
}

// ValidateUsername checks a cleaned username against the registration rule:
// length, allowed characters, and nothing that lets it pass for another
// name (bidirectional controls, stacked marks, mixed scripts, compatibility
// forms such as superscripts).
func ValidateUsername(name string) error {
	n := utf8.RuneCountInString(name)
	if n < UsernameMinLen || n > UsernameMaxLen {
		return usernameError(ReasonUsernameLength, fmt.Sprintf("must be %d-%d characters", UsernameMinLen, UsernameMaxLen))
	}
	if strings.ContainsFunc(name, isBidiControl) {
		return usernameError(ReasonUsernameBidi, "may not contain bidirectional control characters")
	}
	if !allowedRunes(name) {
		return usernameError(ReasonUsernameChars, "may contain only letters, digits, '_', '.' and '-'")
	}
	if longestCombiningRun(name) > MaxCombiningRun {
		return usernameError(ReasonUsernameMarks, fmt.Sprintf("has more than %d combining marks in a row", MaxCombiningRun))
	}
	if scripts := scriptsOf(name); !scriptsMayMix(scripts) {
		return usernameError(ReasonUsernameScripts, "mixes scripts ("+strings.Join(scripts, " and ")+")")
	}
	return precisError(name)
}

func usernameError(reason, msg string) error { return &FieldError{"username", reason, msg} }

func isBidiControl(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }

// allowedRunes reports whether name has only letters, digits, '_', '.',
// '-', and combining marks after the first character.
func allowedRunes(name string) bool {
	for i, r := range name {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '_', r == '.', r == '-':
		case unicode.IsMark(r) && i > 0: // combining marks some scripts need
		default:
			return false
		}
	}
	return true
}

// longestCombiningRun counts the marks that draw over their base letter
// (nonspacing and enclosing) in the canonical decomposition, so that a
// precomposed letter counts as its letter and marks however it was typed.
// Spacing marks, such as most Indic vowel signs, take room of their own and
// end a run.
func longestCombiningRun(name string) int {
	longest, run := 0, 0
	for _, r := range norm.NFD.String(name) {
		if unicode.In(r, unicode.Mn, unicode.Me) {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// identifierRunes is the PRECIS identifier class with the profile's own
// exclusions: compatibility forms, unassigned code points and the like.
var identifierRunes = precis.UsernameCaseMapped.Allowed()

// precisError applies the PRECIS profile's own checks (the identifier
// class and the bidi rule) and names what failed in words a user can act on.
func precisError(name string) error {
	switch {
	case strings.ContainsFunc(name, func(r rune) bool { return !identifierRunes.Contains(r) }):
		return usernameError(ReasonUsernameCompat, "may not use compatibility forms of letters, such as superscripts or ligatures")
	case !bidirule.ValidString(name):
		return usernameError(ReasonUsernameRTL, "right-to-left names must begin and end with a right-to-left letter or digit and may not mix in left-to-right letters")
	}
	if _, err := precis.UsernameCaseMapped.String(name); err != nil {
		return usernameError(ReasonUsernameInvalid, "is not a valid username (RFC 8265)")
	}
	return nil
}
