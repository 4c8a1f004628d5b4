// Package controllers holds the HTTP handlers, the authentication
// middleware and the one error renderer every handler leaves through.
package controllers

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"callapp/dao"
	"callapp/models"
)

// Response is the JSON shape of every API answer. An error carries a
// reason, a stable code the pages translate (err.<reason> in the tables)
// and API clients may act on, while message says it in English for people
// reading logs and API answers. When fields of the request broke rules,
// fields names each such field with its reason, all of them at once.
type Response struct {
	Code    int               `json:"code"` // 0 ok, 1 error
	Message string            `json:"message"`
	Reason  string            `json:"reason,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`
	Data    any               `json:"data,omitempty"`
}

// Reasons of HTTP errors, beside the field reasons of models (username_*,
// password_*). A status without a reason of its own gets defaultReason's.
const (
	ReasonBadRequest         = "bad_request"
	ReasonLoginRequired      = "login_required"
	ReasonForbidden          = "forbidden"
	ReasonAdminsOnly         = "admins_only"
	ReasonNotFound           = "not_found"
	ReasonTimeout            = "timeout" // the body came too slowly, or the client left
	ReasonConflict           = "conflict"
	ReasonBodyTooLarge       = "body_too_large"
	ReasonUnsupportedType    = "unsupported_content_type"
	ReasonUnknownHost        = "unknown_host"
	ReasonRateLimited        = "rate_limited"
	ReasonInternal           = "internal"
	ReasonUnavailable        = "unavailable"
	ReasonWrongCredentials   = "wrong_credentials"
	ReasonAccountDisabled    = "account_disabled"
	ReasonRegistrationClosed = "registration_closed"
	ReasonTooManyAttempts    = "too_many_attempts" // the login throttle; Retry-After says for how long
	ReasonServerBusy         = "server_busy"       // too many wait to hash a password; Retry-After
	ReasonNoSuchUser         = "no_such_user"
	ReasonBadRole            = "bad_role"
	ReasonChangeSelf         = "cannot_change_self" // an admin disabling or demoting themself
)

// defaultReason is the reason of an error that names none: its status's.
func defaultReason(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return ReasonLoginRequired
	case http.StatusForbidden:
		return ReasonForbidden
	case http.StatusNotFound:
		return ReasonNotFound
	case http.StatusRequestTimeout:
		return ReasonTimeout
	case http.StatusConflict:
		return ReasonConflict
	case http.StatusRequestEntityTooLarge:
		return ReasonBodyTooLarge
	case http.StatusUnsupportedMediaType:
		return ReasonUnsupportedType
	case http.StatusMisdirectedRequest:
		return ReasonUnknownHost
	case http.StatusTooManyRequests:
		return ReasonRateLimited
	case http.StatusServiceUnavailable:
		return ReasonUnavailable
	}
	if status >= 500 {
		return ReasonInternal
	}
	return ReasonBadRequest
}

// Error is a failure a handler reports: Status, Reason, Message and Fields
// go to the client; Err, if any, is logged and never shown.
type Error struct {
	Status  int
	Reason  string            // "" for the status's default
	Message string            // English, for logs and API users
	Fields  map[string]string // field: reason, when fields broke rules
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// OK writes a successful answer.
func OK(c *gin.Context, status int, message string, data any) {
	c.JSON(status, Response{Code: 0, Message: message, Data: data})
}

// Abort stops the request with a client-visible status and message; the
// reason is the status's default (see AbortReason).
func Abort(c *gin.Context, status int, message string) {
	AbortReason(c, status, "", message)
}

// AbortReason stops the request with a status, a reason code the pages
// translate, and a message in English.
func AbortReason(c *gin.Context, status int, reason, message string) {
	_ = c.Error(&Error{Status: status, Reason: reason, Message: message})
	c.Abort()
}

// AbortFields stops the request with a status and the fields that broke
// rules, each with its reason. The answer's reason is the first field's,
// so that a client that reads only reason still learns something it can
// say; message lists every field's rule in English.
func AbortFields(c *gin.Context, status int, errs models.FieldErrors) {
	fields := make(map[string]string, len(errs))
	for _, e := range errs {
		fields[e.Field] = e.Reason
	}
	_ = c.Error(&Error{Status: status, Reason: errs[0].Reason, Message: errs.Error(), Fields: fields})
	c.Abort()
}

// AbortInternal stops the request with a 500, or a 503 when the database
// did not answer in time; err is logged, not shown.
func AbortInternal(c *gin.Context, err error) {
	e := &Error{Status: http.StatusInternalServerError, Reason: ReasonInternal, Message: "internal server error", Err: err}
	if errors.Is(err, dao.ErrUnavailable) {
		e.Status, e.Reason, e.Message = http.StatusServiceUnavailable, ReasonUnavailable, "database unavailable; try again later"
	}
	_ = c.Error(e)
	c.Abort()
}

// ErrorRenderer renders the first error a handler recorded as
// {"code":1,"message":...,"reason":...}, logging the detail of 5xx answers.
func ErrorRenderer(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		err := c.Errors[0].Err
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Status: http.StatusInternalServerError, Message: "internal server error", Err: err}
		}
		if e.Status >= 500 {
			log.Error("request failed", "method", c.Request.Method, "path", c.FullPath(), "err", e.Error())
		}
		if e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable {
			if ra, ok := c.Get(retryAfterKey); ok {
				c.Header("Retry-After", ra.(string))
			}
		}
		reason := e.Reason
		if reason == "" {
			reason = defaultReason(e.Status)
		}
		c.JSON(e.Status, Response{Code: 1, Message: e.Message, Reason: reason, Fields: e.Fields})
	}
}

const retryAfterKey = "retry-after"
