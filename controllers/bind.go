package controllers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Bind decodes the request body (JSON, or a form post) into req. On failure
// it aborts with 413 for an oversized body or 400 for malformed input and
// returns false.
func Bind(c *gin.Context, req any) bool {
	err := c.ShouldBind(req)
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		Abort(c, http.StatusRequestEntityTooLarge, "request body too large")
		return false
	}
	Abort(c, http.StatusBadRequest, "malformed request body")
	return false
}

// LimitBody caps every request body at n bytes; reading past it fails with
// *http.MaxBytesError, which Bind turns into 413.
func LimitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		}
		c.Next()
	}
}
