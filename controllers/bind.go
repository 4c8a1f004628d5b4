package controllers

import (
	"errors"
	"io"
	"mime"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
)

// Body media types Bind reads. gin's ShouldBind would also pick YAML,
// TOML, XML, msgpack, BSON or protobuf from the Content-Type, decoders
// that one small hostile body can make allocate without bound.
const (
	mimeJSON = "application/json"
	mimeForm = "application/x-www-form-urlencoded"
)

// maxJSONDepth is how deeply a JSON body may nest arrays and objects. The
// request types are flat; the bound stops a body of brackets before any
// decoder sees it.
const maxJSONDepth = 32

var errTooDeep = errors.New("controllers: JSON nested too deeply")

// Bind decodes the request body, JSON or a urlencoded form, into req and
// runs gin's validation on it. On failure it aborts and returns false:
// 415 for any other Content-Type (before the body is read), 413 for an
// oversized body, 408 for one that arrives too slowly, 400 for malformed
// or too deeply nested input.
func Bind(c *gin.Context, req any) bool {
	kind, ok := bodyType(c.GetHeader("Content-Type"))
	if !ok {
		Abort(c, http.StatusUnsupportedMediaType, "unsupported content type: send "+mimeJSON+" or "+mimeForm)
		return false
	}
	err := decodeBody(c.Request, kind, req)
	if err != nil {
		abortBind(c, err)
	}
	return err == nil
}

// bodyType returns the media type of contentType if Bind reads it.
// Parameters such as charset are allowed; the type is matched without
// regard to case, as RFC 9110 wants.
func bodyType(contentType string) (string, bool) {
	kind, _, err := mime.ParseMediaType(contentType)
	if err != nil || (kind != mimeJSON && kind != mimeForm) {
		return "", false
	}
	return kind, true
}

// decodeBody decodes r's body of media type kind into req. A JSON body is
// read whole (LimitBody bounds it) so that its depth is checked first.
func decodeBody(r *http.Request, kind string, req any) error {
	if kind == mimeForm {
		return binding.FormPost.Bind(r, req)
	}
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return err
		}
	}
	if jsonTooDeep(body, maxJSONDepth) {
		return errTooDeep
	}
	return binding.JSON.BindBody(body, req)
}

// jsonTooDeep reports whether the JSON text b nests arrays and objects
// more than limit deep. It counts brackets outside strings only; whether
// b is JSON at all is the decoder's business.
func jsonTooDeep(b []byte, limit int) bool {
	depth, inString, escaped := 0, false, false
	for _, ch := range b {
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped = ch == '\\'
			inString = ch != '"'
		case ch == '"':
			inString = true
		case ch == '[' || ch == '{':
			if depth++; depth > limit {
				return true
			}
		case ch == ']' || ch == '}':
			depth--
		}
	}
	return false
}

// abortBind answers a body that could not be decoded.
func abortBind(c *gin.Context, err error) {
	var tooBig *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooBig):
		Abort(c, http.StatusRequestEntityTooLarge, "request body too large")
	case errors.As(err, &netErr) && netErr.Timeout():
		Abort(c, http.StatusRequestTimeout, "request body too slow")
	case errors.Is(err, errTooDeep):
		Abort(c, http.StatusBadRequest, "malformed request body: nested too deeply")
	default:
		Abort(c, http.StatusBadRequest, "malformed request body")
	}
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
