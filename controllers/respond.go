// Package controllers holds the HTTP handlers, the authentication
// middleware and the one error renderer every handler leaves through.
package controllers

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"callapp/dao"
)

// Response is the JSON shape of every API answer.
type Response struct {
	Code    int    `json:"code"` // 0 ok, 1 error
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

// Error is a failure a handler reports: Status and Message go to the
// client; Err, if any, is logged and never shown.
type Error struct {
	Status  int
	Message string
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

// Abort stops the request with a client-visible status and message.
func Abort(c *gin.Context, status int, message string) {
	_ = c.Error(&Error{Status: status, Message: message})
	c.Abort()
}

// AbortInternal stops the request with a 500, or a 503 when the database
// did not answer in time; err is logged, not shown.
func AbortInternal(c *gin.Context, err error) {
	e := &Error{Status: http.StatusInternalServerError, Message: "internal server error", Err: err}
	if errors.Is(err, dao.ErrUnavailable) {
		e.Status, e.Message = http.StatusServiceUnavailable, "database unavailable; try again later"
	}
	_ = c.Error(e)
	c.Abort()
}

// ErrorRenderer renders the first error a handler recorded as
// {"code":1,"message":...}, logging the detail of 5xx answers.
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
		c.JSON(e.Status, Response{Code: 1, Message: e.Message})
	}
}

const retryAfterKey = "retry-after"
