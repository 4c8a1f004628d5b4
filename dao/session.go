package dao

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"callapp/models"
)

// Sessions issues and checks login sessions. The cookie carries a random
// token; the database keeps only HMAC-SHA256(key, token).
type Sessions struct {
	db      timedDB
	sql     *sql.DB                             // the pool under db, for Lookup
	onQuery func(op string, took time.Duration) // Options.OnQuery
	key     []byte
	ttl     time.Duration
}

// NewSessions returns the session store; sessions last ttl from login.
func NewSessions(d *DAO, key string, ttl time.Duration) *Sessions {
	return &Sessions{db: d.db, sql: d.sql, onQuery: d.onQuery, key: []byte(key), ttl: ttl}
}

func (s *Sessions) hash(token string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// Prepare makes the row of a new session from ip with userAgent, not yet
// stored nor given a user, and returns the cookie token it is for. The
// client's strings are made fit to store: valid UTF-8, cut to their
// columns' sizes.
func (s *Sessions) Prepare(ip, userAgent string) (string, *models.Session) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := time.Now().UTC()
	return token, &models.Session{
		TokenHash: s.hash(token), CreatedAt: now, ExpiresAt: now.Add(s.ttl),
		IP: clientString(ip, ipColumn), UserAgent: clientString(userAgent, userAgentColumn),
	}
}

// Sizes of the session columns that hold client strings (models.Session).
const (
	ipColumn        = 45
	userAgentColumn = 255
)

// Create starts a session for the user, records the login time, and
// returns the cookie token.
func (s *Sessions) Create(ctx context.Context, userID uint64, ip, userAgent string) (string, time.Time, error) {
	token, row := s.Prepare(ip, userAgent)
	row.UserID = userID
	db, done := s.db.conn(ctx)
	defer done()
	// Every session start is a login, registration's included.
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		return tx.Model(&models.User{}).Where("id = ?", userID).Update("last_login_at", row.CreatedAt).Error
	})
	if err != nil {
		return "", time.Time{}, wrap("create session", err)
	}
	return token, row.ExpiresAt, nil
}

// sessionUserSQL is the session lookup that every websocket and API
// request makes. It runs on database/sql, not GORM: GORM building the
// statement and scanning by reflection was two thirds of its cost, and a
// quarter of the server's CPU while 10,000 users connected. The columns
// are models.User's, in order, then the session's id and expiry; the
// session tests hold the two together on both dialects.
const sessionUserSQL = `SELECT users.id, users.username, users.username_key, users.password_hash,
	users.role, users.disabled, users.created_at, users.last_login_at, sessions.id, sessions.expires_at
FROM users JOIN sessions ON sessions.user_id = users.id
WHERE sessions.token_hash = ? AND sessions.expires_at > ? AND users.disabled = ?`

// User returns the enabled user owning the unexpired session token, or
// ErrNotFound.
func (s *Sessions) User(ctx context.Context, token string) (*models.User, error) {
	u, _, err := s.Lookup(ctx, token)
	return u, err
}

// Lookup is User that also names the session, so that what was opened
// with it (a websocket) can be ended with it.
func (s *Sessions) Lookup(ctx context.Context, token string) (*models.User, models.SessionRef, error) {
	var ref models.SessionRef
	if token == "" {
		return nil, ref, wrap("session user", ErrNotFound)
	}
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	start := time.Now()
	ref.CheckedAt = start
	var u models.User
	err := s.sql.QueryRowContext(ctx, sessionUserSQL, s.hash(token), start.UTC(), false).Scan(
		&u.ID, &u.Username, &u.UsernameKey, &u.PasswordHash, &u.Role, &u.Disabled, &u.CreatedAt, &u.LastLoginAt,
		&ref.ID, &ref.ExpiresAt)
	if s.onQuery != nil {
		s.onQuery("query", time.Since(start))
	}
	if err != nil {
		return nil, models.SessionRef{}, wrap("session user", err)
	}
	return &u, ref, nil
}

// Delete ends the session with this token, if there is one.
func (s *Sessions) Delete(ctx context.Context, token string) error {
	db, done := s.db.conn(ctx)
	defer done()
	err := db.Where("token_hash = ?", s.hash(token)).Delete(&models.Session{}).Error
	return wrap("delete session", err)
}

// DeleteExpired removes sessions past their expiry and returns how many.
func (s *Sessions) DeleteExpired(ctx context.Context) (int64, error) {
	db, done := s.db.conn(ctx)
	defer done()
	res := db.Where("expires_at <= ?", time.Now().UTC()).Delete(&models.Session{})
	return res.RowsAffected, wrap("delete expired sessions", res.Error)
}

// clientString makes a string a client sent storable: invalid UTF-8,
// which MySQL refuses, becomes U+FFFD, and the result is cut to at most n
// bytes without splitting a character.
func clientString(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
