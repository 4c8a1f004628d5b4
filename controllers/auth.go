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
	LoginThrottled = "throttled" // refused with 429 before checking: throttled or too many waiting to hash
	LoginDisabled  = "disabled"  // right password, disabled account
)

// sessionEnder closes what was opened with a session (the signaling hub's
// websockets) when the session ends.
type sessionEnder interface {
	EndSession(sessionID uint64, reason string)
}

// AuthHandler serves register, login, logout and me.
type AuthHandler struct {
	Accounts         accountStore
	Sessions         sessionStore
	Live             sessionEnder // nil: no live connections to end
	Throttle         *Throttle
	Logins           loginCounter // nil counts nothing
	RegistrationOpen bool
	SecureCookie     bool // set Secure on the cookie (HTTPS)
	Log              *slog.Logger
}

// Register creates an account and logs it in: 201 with the user.
func (h *AuthHandler) Register(c *gin.Context) {
	if !h.RegistrationOpen {
		AbortReason(c, http.StatusForbidden, ReasonRegistrationClosed, "registration is closed")
		return
	}
	var cred models.Credentials
	if !Bind(c, &cred) {
		return
	}
	var invalid models.FieldErrors
	if errors.As(cred.Validate(), &invalid) {
		AbortFields(c, http.StatusBadRequest, invalid)
		return
	}
	// The account and its first session are stored together or not at all.
	token, first := h.Sessions.Prepare(c.ClientIP(), c.Request.UserAgent())
	u, err := h.Accounts.CreateUserWithSession(c.Request.Context(), cred, first)
	if errors.Is(err, dao.ErrDuplicate) {
		AbortFields(c, http.StatusConflict, models.FieldErrors{{Field: "username", Reason: models.ReasonUsernameTaken, Message: "already taken"}})
		return
	}
	if errors.Is(err, dao.ErrBusy) {
		tooMany(c, 0, ReasonServerBusy, busyMessage)
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
// The attempt is counted before the password is checked, so parallel
// guesses cannot outrun the throttle.
func (h *AuthHandler) Login(c *gin.Context) {
	var cred models.Credentials
	if !Bind(c, &cred) {
		return
	}
	attempt := h.reserve(c, models.NormalizeUsername(cred.Username))
	if attempt == nil {
		return
	}
	if err := attempt.Wait(c.Request.Context()); err != nil {
		attempt.Release() // the client left before its password was checked
		AbortReason(c, http.StatusRequestTimeout, ReasonTimeout, "request cancelled")
		return
	}
	if len(cred.Password) > models.PasswordMaxLen {
		cred.Password = "" // cannot match; still spend the same time below
	}
	u, err := h.Accounts.CheckPassword(c.Request.Context(), cred.Username, cred.Password)
	h.finishLogin(c, attempt, u, err)
}

// reserve counts a login for the throttle, or answers 429 and returns nil.
func (h *AuthHandler) reserve(c *gin.Context, key string) *Attempt {
	attempt, wait := h.Throttle.Reserve(key, c.ClientIP())
	if attempt == nil {
		h.count(LoginThrottled)
		tooMany(c, wait, ReasonTooManyAttempts, "too many failed logins; try again later")
	}
	return attempt
}

// finishLogin answers the password check. Only a wrong password stays
// counted as a failure; a right one forgets this address's failures.
func (h *AuthHandler) finishLogin(c *gin.Context, attempt *Attempt, u *models.User, err error) {
	if err != nil && !errors.Is(err, dao.ErrBadCredentials) {
		attempt.Release()
	}
	switch {
	case errors.Is(err, dao.ErrBadCredentials):
		h.count(LoginFailed)
		AbortReason(c, http.StatusUnauthorized, ReasonWrongCredentials, "wrong username or password")
	case errors.Is(err, dao.ErrDisabled):
		h.count(LoginDisabled)
		AbortReason(c, http.StatusForbidden, ReasonAccountDisabled, "this account is disabled")
	case errors.Is(err, dao.ErrBusy):
		h.count(LoginThrottled)
		tooMany(c, 0, ReasonServerBusy, busyMessage)
	case err != nil:
		AbortInternal(c, err)
	default:
		attempt.Succeed()
		h.count(LoginOK)
		// A new token on every login: the old one (fixation) stops working.
		if err := h.endSession(c, "signed in again"); err != nil {
			AbortInternal(c, err)
			return
		}
		h.startSession(c, u, http.StatusOK)
	}
}

// busyMessage answers a login or registration turned away because too
// many already wait to hash a password.
const busyMessage = "server busy; try again shortly"

// tooMany answers 429 with a Retry-After of wait in whole seconds, at
// least one.
func tooMany(c *gin.Context, wait time.Duration, reason, msg string) {
	c.Set(retryAfterKey, strconv.Itoa(int(wait.Round(time.Second)/time.Second)+1))
	AbortReason(c, http.StatusTooManyRequests, reason, msg)
}

func (h *AuthHandler) count(result string) {
	if h.Logins != nil {
		h.Logins.Login(result)
	}
}

// Logout ends the current session, if any, and the websockets opened with
// it: 200 either way.
func (h *AuthHandler) Logout(c *gin.Context) {
	if err := h.endSession(c, "logged out"); err != nil {
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

// endSession deletes the cookie's session, then closes the websockets
// opened with it: after the delete no new one can open.
func (h *AuthHandler) endSession(c *gin.Context, reason string) error {
	token, err := c.Cookie(SessionCookie)
	if err != nil || token == "" {
		return nil
	}
	if err := h.Sessions.Delete(c.Request.Context(), token); err != nil {
		return err
	}
	if s := CurrentSession(c); s.ID != 0 && h.Live != nil {
		h.Live.EndSession(s.ID, reason)
	}
	return nil
}

func (h *AuthHandler) setCookie(c *gin.Context, token string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.SecureCookie || c.Request.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}
