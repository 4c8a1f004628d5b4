package models

import (
	"fmt"
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
