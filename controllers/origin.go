package controllers

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"callapp/config"
)

// OriginPolicy decides whether a request is meant for this server (its
// Host) and whether it comes from the server's own pages (its Origin).
//
// A page on attacker.example whose name the attacker points at this
// server's address (DNS rebinding) reaches it with Host: attacker.example
// and a matching Origin, so a Host must be one of the server's own names:
// the address the connection arrived on, the loopback names when that
// address is loopback, or a configured name. Ports of the connection's own
// names are not compared: the name is what the attacker controls, and a
// tunnel or port forward legitimately changes the port.
//
// An Origin must be a configured origin, or the request's own Host with
// the scheme pages are served with. Requests with neither Origin nor
// Referer (curl, native clients) carry no ambient browser credentials and
// pass the Origin check.
type OriginPolicy struct {
	origins []string   // lower-case scheme://host[:port]
	hosts   []hostName // configured names
	https   bool       // pages are https even on plain connections: a proxy terminates TLS
}

// hostName is a Host header taken apart: a lower-case name or canonical
// address, and its port, empty for any.
type hostName struct{ name, port string }

// NewOriginPolicy builds the policy from the settings: the names of
// ALLOWED_HOSTS, BASE_URL and ALLOWED_ORIGINS, the origins of the last
// two, and BASE_URL's scheme.
func NewOriginPolicy(cfg *config.Config) *OriginPolicy {
	p := &OriginPolicy{}
	for _, o := range cfg.Origins() {
		p.origins = append(p.origins, strings.ToLower(strings.TrimRight(o, "/")))
	}
	for _, h := range cfg.Hosts() {
		if n, ok := parseHost(h); ok {
			p.hosts = append(p.hosts, n)
		}
	}
	p.https = cfg.BehindHTTPS()
	return p
}

// HostAllowed reports whether r's Host names this server.
func (p *OriginPolicy) HostAllowed(r *http.Request) bool {
	h, ok := parseHost(r.Host)
	if !ok {
		return false
	}
	if arrivedAt(r, h.name) {
		return true
	}
	if h.port == "" {
		h.port = defaultPort(r)
	}
	return slices.ContainsFunc(p.hosts, func(n hostName) bool {
		return n.name == h.name && (n.port == "" || n.port == h.port)
	})
}

// Allowed reports whether r may change state or open the websocket: its
// Origin (else Referer) is an allowed origin, or the request's own allowed
// Host with the scheme pages are served with.
func (p *OriginPolicy) Allowed(r *http.Request) bool {
	origin, ok := requestOrigin(r)
	switch {
	case !ok:
		return false
	case origin == "" || slices.Contains(p.origins, origin):
		return true
	}
	return origin == p.scheme(r)+"://"+strings.ToLower(r.Host) && p.HostAllowed(r)
}

// Middleware answers 421 to a request for a name that is not this
// server's, on every route, and 403 to a cross-site state-changing request.
func (p *OriginPolicy) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !p.HostAllowed(c.Request) {
			Abort(c, http.StatusMisdirectedRequest, "unknown host name: this server does not answer to it (see ALLOWED_HOSTS)")
			return
		}
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

// requestOrigin returns r's Origin, or the origin of its Referer, as
// lower-case scheme://host[:port]; "" when it has neither, and not ok when
// the header is unusable ("null", relative, garbage).
func requestOrigin(r *http.Request) (string, bool) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = r.Header.Get("Referer")
		if origin == "" {
			return "", true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// arrivedAt reports whether name is the address r's connection arrived
// on, or a loopback name when that address is loopback. A rebinding page
// cannot send an address as Host: its own name would not be one.
func arrivedAt(r *http.Request, name string) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	ap, err := netip.ParseAddrPort(local.String())
	if err != nil {
		return false
	}
	at := ap.Addr().Unmap().WithZone("")
	if ip, err := netip.ParseAddr(name); err == nil {
		return ip == at || ip.IsLoopback() && at.IsLoopback()
	}
	return name == "localhost" && at.IsLoopback()
}

// parseHost takes a Host header (or an ALLOWED_HOSTS entry) apart. Names
// lose a trailing dot and case; addresses are written one way.
func parseHost(s string) (hostName, bool) {
	u := url.URL{Host: s}
	name := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if ip, err := netip.ParseAddr(name); err == nil {
		name = ip.Unmap().WithZone("").String()
	}
	return hostName{name: name, port: u.Port()}, name != ""
}

// scheme is the one r's page was served with: https over TLS, and behind
// a proxy that terminates TLS (BASE_URL https).
func (p *OriginPolicy) scheme(r *http.Request) string {
	if r.TLS != nil || p.https {
		return "https"
	}
	return "http"
}

func defaultPort(r *http.Request) string {
	if r.TLS != nil {
		return "443"
	}
	return "80"
}
