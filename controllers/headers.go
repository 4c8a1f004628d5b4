package controllers

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// contentSecurityPolicy lets pages load only the server's own scripts,
// styles, fonts and connections, with no inline style, no inline script
// but those of scriptSources, no plugins, no <base> and no framing.
//
// 'unsafe-eval': the pages' Vue templates are written in-DOM in
// www/*.html and compiled in the browser by the vendored full build of Vue,
// which turns each template into a function with new Function. Precompiled
// render functions would need a build step the front end does not have.
//
// connect-src 'self' covers the websocket: CSP Level 3 matches ws: and
// wss: of the page's own host to 'self' (the browser tests prove it).
// blob: lets a page show media and images it made itself; data: images
// are images layui.css carries inline (a loading animation, a pattern).
//
// scriptSources are inline scripts allowed by their hash: the import map
// every page carries (controllers/assets), the same text on every page,
// which markup injected into a page cannot match.
func contentSecurityPolicy(scriptSources ...string) string {
	script := strings.Join(append([]string{"'self'", "'unsafe-eval'"}, scriptSources...), " ")
	return "default-src 'self'; script-src " + script + "; connect-src 'self'; " +
		"media-src 'self' blob:; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
}

// securityHeaders go on every response.
var securityHeaders = map[string]string{
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "same-origin",
	"X-Frame-Options":        "DENY",
	"Permissions-Policy":     "camera=(self), microphone=(self), display-capture=(self)",
}

// hsts keeps browsers on https for this host, renewed by every response;
// it is sent over TLS only (browsers ignore it over plain HTTP anyway).
const hsts = "max-age=31536000"

// SecurityHeaders sets the security headers before anything else runs, so
// that errors, 404s, static files and refused websocket upgrades carry
// them too. scriptSources are the CSP sources of the pages' inline
// scripts (hashes).
func SecurityHeaders(scriptSources ...string) gin.HandlerFunc {
	csp := contentSecurityPolicy(scriptSources...)
	return func(c *gin.Context) {
		h := c.Writer.Header()
		for k, v := range securityHeaders {
			h.Set(k, v)
		}
		h.Set("Content-Security-Policy", csp)
		if c.Request.TLS != nil {
			h.Set("Strict-Transport-Security", hsts)
		}
		c.Next()
	}
}
