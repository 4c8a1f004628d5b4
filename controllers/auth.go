package controllers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"callapp/dao"
	"callapp/models"
)

// accountStore is what the auth handlers need of the user table.
type accountStore interface {
	CreateUserWithSession(ctx context.Context, cred models.Credentials, first *models.Session) (*models.User, error)
	CheckPassword(ctx context.Context, username, password string) (*models.User, error)
}

// loginCounter counts login outcomes for the metrics endpoint.
type loginCounter interface {
	Login(result string)
}

// Login outcomes, as counted.
const (
	LoginOK        = "ok"
	LoginFailed    = "failed"    // wrong username or password
	LoginThrottled = "throttled" // refused with 429 before checking
	LoginDisabled  = "disabled"  // right password, disabled account
)

// AuthHandler serves register, login, logout and me.
type AuthHandler struct {
	Accounts         accountStore
	Sessions         sessionStore
	Throttle         *Throttle
	Logins           loginCounter // nil counts nothing
	RegistrationOpen bool
	SecureCookie     bool // set Secure on the cookie (HTTPS)
	Log              *slog.Logger
}

// Register creates an account and logs it in: 201 with the user.
func (h *AuthHandler) Register(c *gin.Context) {
	if !h.RegistrationOpen {
		Abort(c, http.StatusForbidden, "registration is closed")
		return
	}
	var cred models.Credentials
	if !Bind(c, &cred) {
		return
	}
	if err := cred.Validate(); err != nil {
		Abort(c, http.StatusBadRequest, err.Error())
		return
	}
	// The account and its first session are stored together or not at all.
	token, first := h.Sessions.Prepare(c.ClientIP(), c.Request.UserAgent())
	u, err := h.Accounts.CreateUserWithSession(c.Request.Context(), cred, first)
	if errors.Is(err, dao.ErrDuplicate) {
		Abort(c, http.StatusConflict, "username: already taken")
		return
	}
	if err != nil {
		AbortInternal(c, err)
		return
	}
	if u.IsAdmin() {
		h.Log.Info("new account is admin", "user", u.Username, "id", u.ID)
	}
	h.sendSession(c, u, token, first.ExpiresAt, http.StatusCreated)
}

// Login checks credentials and starts a new session: 200 with the user.
func (h *AuthHandler) Login(c *gin.Context) {
	var cred models.Credentials
	if !Bind(c, &cred) {
		return
	}
	key, ip := models.NormalizeUsername(cred.Username), c.ClientIP()
	if wait, blocked := h.Throttle.Blocked(key, ip); blocked {
		h.count(LoginThrottled)
		c.Set(retryAfterKey, strconv.Itoa(int(wait.Round(time.Second)/time.Second)+1))
		Abort(c, http.StatusTooManyRequests, "too many failed logins; try again later")
		return
	}
	if len(cred.Password) > models.PasswordMaxLen {
		cred.Password = "" // cannot match; still spend the same time below
	}
	u, err := h.Accounts.CheckPassword(c.Request.Context(), cred.Username, cred.Password)
	switch {
	case errors.Is(err, dao.ErrBadCredentials):
		h.count(LoginFailed)
		h.Throttle.Fail(key, ip)
		Abort(c, http.StatusUnauthorized, "wrong username or password")
	case errors.Is(err, dao.ErrDisabled):
		h.count(LoginDisabled)
		Abort(c, http.StatusForbidden, "this account is disabled")
	case err != nil:
		AbortInternal(c, err)
	default:
		h.count(LoginOK)
		h.Throttle.Succeed(key)
		// A new token on every login: the old one (fixation) stops working.
		if err := h.endSession(c); err != nil {
			AbortInternal(c, err)
			return
		}
		h.startSession(c, u, http.StatusOK)
	}
}

func (h *AuthHandler) count(result string) {
	if h.Logins != nil {
		h.Logins.Login(result)
	}
}

// Logout ends the current session, if any: 200 either way.
func (h *AuthHandler) Logout(c *gin.Context) {
	if err := h.endSession(c); err != nil {
		AbortInternal(c, err)
		return
	}
	h.setCookie(c, "", -1)
	OK(c, http.StatusOK, "logged out", nil)
}

// Me returns the logged-in user.
func (h *AuthHandler) Me(c *gin.Context) {
	OK(c, http.StatusOK, "ok", CurrentUser(c).View())
}

func (h *AuthHandler) startSession(c *gin.Context, u *models.User, status int) {
	token, expires, err := h.Sessions.Create(c.Request.Context(), u.ID, c.ClientIP(), c.Request.UserAgent())
	if err != nil {
		AbortInternal(c, err)
		return
	}
	h.sendSession(c, u, token, expires, status)
}

// sendSession answers a login or registration with its session cookie.
func (h *AuthHandler) sendSession(c *gin.Context, u *models.User, token string, expires time.Time, status int) {
	h.setCookie(c, token, int(time.Until(expires)/time.Second))
	OK(c, status, "ok", u.View())
}

func (h *AuthHandler) endSession(c *gin.Context) error {
	token, err := c.Cookie(SessionCookie)
	if err != nil || token == "" {
		return nil
	}
	return h.Sessions.Delete(c.Request.Context(), token)
}

func (h *AuthHandler) setCookie(c *gin.Context, token string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.SecureCookie || c.Request.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}
