package controllers

import (
	"log/slog"

	"github.com/gin-gonic/gin"
)

// discard is the logger of handler unit tests.
var discard = slog.New(slog.DiscardHandler)

// handlerRouter is the router of a handler unit test: gin in test mode,
// the app's error renderer, then mw. Whole-app tests use route/apptest
// instead; these test one handler or middleware against fakes.
func handlerRouter(mw ...gin.HandlerFunc) *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(append([]gin.HandlerFunc{ErrorRenderer(discard)}, mw...)...)
	return r
}
