package controllers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// OriginPolicy decides whether a browser request comes from our own pages
// or an allow-listed origin. Requests with neither Origin nor Referer (curl,
// native clients) carry no ambient browser credentials risk and pass.
type OriginPolicy struct {
	allowed []string // lower-case scheme://host[:port]
}

// NewOriginPolicy allows the server's own origin plus the given ones.
func NewOriginPolicy(allowed []string) *OriginPolicy {
	p := &OriginPolicy{}
	for _, o := range allowed {
		p.allowed = append(p.allowed, strings.ToLower(strings.TrimRight(o, "/")))
	}
	return p
}

// Allowed reports whether r may change state or open the websocket.
func (p *OriginPolicy) Allowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		ref := r.Header.Get("Referer")
		if ref == "" {
			return true
		}
		u, err := url.Parse(ref)
		if err != nil || u.Host == "" {
			return false
		}
		origin = u.Scheme + "://" + u.Host
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" { // includes "null"
		return false
	}
	// Same host as the request: our own page. The port is part of Host.
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.Contains(p.allowed, strings.ToLower(u.Scheme+"://"+u.Host))
}

// Middleware refuses cross-site state-changing requests with 403.
func (p *OriginPolicy) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if !p.Allowed(c.Request) {
				Abort(c, http.StatusForbidden, "cross-site request refused")
				return
			}
		}
		c.Next()
	}
}
