package controllers

import (
	"net/http"
	"net/netip"

	"github.com/gin-gonic/gin"
)

// MetricsGate guards GET /metrics. Off, it answers 404 as for no route.
// On, it lets through requests from the allowed networks without a
// session (a Prometheus scraper), and everyone else as the admin API
// does: 401 anonymous, 403 non-admin. The client address is gin's
// ClientIP, which believes X-Forwarded-For only from TRUSTED_PROXIES.
func MetricsGate(on bool, allow []netip.Prefix) gin.HandlerFunc {
	return func(c *gin.Context) {
		switch {
		case !on:
			Abort(c, http.StatusNotFound, "not found")
		case fromAllowed(c.ClientIP(), allow):
			c.Next()
		default:
			RequireAdmin(c)
		}
	}
}

func fromAllowed(clientIP string, allow []netip.Prefix) bool {
	ip, err := netip.ParseAddr(clientIP)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
