package controllers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"callapp/dao"
	"callapp/models"
)

// SessionCookie is the name of the login cookie.
const SessionCookie = "callapp_session"

const (
	userKey    = "user"
	sessionKey = "session"
)

// sessionStore is what the handlers need of the session table.
type sessionStore interface {
	Prepare(ip, userAgent string) (string, *models.Session)
	Create(ctx context.Context, userID uint64, ip, userAgent string) (string, time.Time, error)
	Lookup(ctx context.Context, token string) (*models.User, models.SessionRef, error)
	Delete(ctx context.Context, token string) error
}

// Authenticate loads the session's user, if any, and the session, for
// every later handler. It never rejects: RequireUser and RequireAdmin do.
func Authenticate(sessions sessionStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, err := c.Cookie(SessionCookie)
		if err == nil && token != "" {
			u, s, err := sessions.Lookup(c.Request.Context(), token)
			switch {
			case err == nil:
				c.Set(userKey, u)
				c.Set(sessionKey, s)
			case !errors.Is(err, dao.ErrNotFound):
				AbortInternal(c, err)
				return
			}
		}
		c.Next()
	}
}

// CurrentUser returns the logged-in user, or nil. Identity comes only from
// here, never from the request body.
func CurrentUser(c *gin.Context) *models.User {
	if v, ok := c.Get(userKey); ok {
		return v.(*models.User)
	}
	return nil
}

// CurrentSession names the logged-in user's session; the zero SessionRef
// when there is none.
func CurrentSession(c *gin.Context) models.SessionRef {
	s, _ := c.Get(sessionKey)
	ref, _ := s.(models.SessionRef)
	return ref
}

// RequireUser answers 401 to anonymous API requests.
func RequireUser(c *gin.Context) {
	if CurrentUser(c) == nil {
		Abort(c, http.StatusUnauthorized, "login required")
		return
	}
	c.Next()
}

// RequireAdmin answers 401 to anonymous and 403 to non-admin requests.
func RequireAdmin(c *gin.Context) {
	u := CurrentUser(c)
	switch {
	case u == nil:
		Abort(c, http.StatusUnauthorized, "login required")
	case !u.IsAdmin():
		AbortReason(c, http.StatusForbidden, ReasonAdminsOnly, "admins only")
	default:
		c.Next()
	}
}

// RequireUserPage redirects anonymous visitors to the login page.
func RequireUserPage(c *gin.Context) {
	if CurrentUser(c) == nil {
		c.Redirect(http.StatusFound, "/webrtc/login")
		c.Abort()
		return
	}
	c.Next()
}
