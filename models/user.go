// Package models holds the data types shared by the storage, HTTP and
// signaling layers: GORM rows, request and view types, and the websocket
// envelope. It has no database calls and no HTTP framework.
package models

import (
	"time"
)

// Roles a user can have.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// User is an account row. The password hash is kept unexported from JSON and
// never leaves the dao package in a view type.
type User struct {
	ID           uint64 `gorm:"primaryKey"`
	Username     string `gorm:"size:32;not null"`
	UsernameKey  string `gorm:"size:128;not null;uniqueIndex"` // NormalizeUsername(Username)
	PasswordHash []byte `gorm:"size:60;not null" json:"-"`
	Role         string `gorm:"size:16;not null;default:user"`
	Disabled     bool   `gorm:"not null;default:false"`
	CreatedAt    time.Time
	LastLoginAt  *time.Time
}

// IsAdmin reports whether the user has the admin role.
func (u *User) IsAdmin() bool { return u.Role == RoleAdmin }

// View returns what the user may see of their own account.
func (u *User) View() UserView {
	return UserView{ID: u.ID, Username: u.Username, Role: u.Role}
}

// UserView is the public shape of a user: {id, username, role}.
type UserView struct {
	ID       uint64 `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`
}

// AdminUserView is what the admin dashboard sees of an account.
type AdminUserView struct {
	ID          uint64     `json:"id"`
	Username    string     `json:"username"`
	Role        string     `json:"role"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"createdAt"`
	LastLoginAt *time.Time `json:"lastLoginAt"`
}

// AdminView returns the admin dashboard's view of the user.
func (u *User) AdminView() AdminUserView {
	return AdminUserView{
		ID: u.ID, Username: u.Username, Role: u.Role, Disabled: u.Disabled,
		CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt,
	}
}

// Session is a server-side login session. Only a keyed hash of the cookie
// token is stored, so a database dump cannot be replayed as cookies.
type Session struct {
	ID        uint64    `gorm:"primaryKey"`
	TokenHash string    `gorm:"size:64;not null;uniqueIndex"`
	UserID    uint64    `gorm:"not null;index"`
	CreatedAt time.Time `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null;index"`
	IP        string    `gorm:"size:45"`
	UserAgent string    `gorm:"size:255"`
}

// SessionRef names a session without its secret: what a websocket keeps
// of the session it was opened with, so that ending the session ends it.
type SessionRef struct {
	ID        uint64    // the session's row; 0: none
	ExpiresAt time.Time // the zero time never expires
	// CheckedAt is when the database was asked whether the session is
	// valid: a user disabled after it may have been missed.
	CheckedAt time.Time
}
