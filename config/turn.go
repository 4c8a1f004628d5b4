package config

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// DefaultTURNPort is the port of the embedded STUN/TURN server when
// TURN_LISTEN is not set: the standard one, which firewalls know.
const DefaultTURNPort = "3478"

// minTURNSecret is the shortest configured secret accepted: a short one can
// be brute-forced offline from any credential a page shows.
const minTURNSecret = 16

// TURNEmbedded reports whether the app runs its own STUN/TURN server.
// External TURN servers take over from it.
func (c *Config) TURNEmbedded() bool { return c.TURNEnabled && len(c.TURNURLs) == 0 }

// TURNListenAddr is where the embedded server listens. Unset, it follows
// LISTEN's host: a server kept on loopback keeps its relay on loopback too,
// and one opened to the network opens its relay with it. A LISTEN on port
// 0 (tests, several servers at once) gives the relay any free port too.
func (c *Config) TURNListenAddr() string {
	if c.TURNListen != "" {
		return c.TURNListen
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		host = ""
	}
	if port != "0" {
		port = DefaultTURNPort
	}
	return net.JoinHostPort(host, port)
}

// validateICE checks the STUN and TURN settings.
func (c *Config) validateICE(bad func(key, format string, args ...any)) {
	for _, u := range c.STUNURLs {
		if !hasScheme(u, "stun:", "stuns:") {
			bad("STUN_URLS", "%q is not a stun: or stuns: URL", u)
		}
	}
	for _, u := range c.TURNURLs {
		if !hasScheme(u, "turn:", "turns:") {
			bad("TURN_URLS", "%q is not a turn: or turns: URL", u)
		}
	}
	if len(c.TURNURLs) > 0 && c.TURNSecret == "" {
		bad("TURN_SECRET", "required with TURN_URLS: it must be the static-auth-secret of those servers")
	}
	if c.TURNSecret != "" && len(c.TURNSecret) < minTURNSecret {
		bad("TURN_SECRET", "want at least %d characters", minTURNSecret)
	}
	if c.TURNCredentialTTL < time.Minute {
		bad("TURN_CREDENTIAL_TTL", "want at least 1m, got %v", c.TURNCredentialTTL)
	}
	if c.TURNEmbedded() {
		c.validateEmbeddedTURN(bad)
	}
}

func (c *Config) validateEmbeddedTURN(bad func(key, format string, args ...any)) {
	if _, port, err := net.SplitHostPort(c.TURNListenAddr()); err != nil {
		bad("TURN_LISTEN", "want host:port: %v", err)
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		bad("TURN_LISTEN", "bad port %q", port)
	}
	if c.TURNPublicIP != "" && net.ParseIP(c.TURNPublicIP) == nil {
		bad("TURN_PUBLIC_IP", "%q is not an IP address", c.TURNPublicIP)
	}
	if c.TURNRealm == "" {
		bad("TURN_REALM", "must not be empty")
	}
	lo, hi := c.TURNRelayPortMin, c.TURNRelayPortMax
	if (lo != 0 || hi != 0) && (lo < 1 || lo > hi || hi > 65535) {
		bad("TURN_RELAY_PORT_MIN", "want 1 <= TURN_RELAY_PORT_MIN <= TURN_RELAY_PORT_MAX <= 65535 (or both 0), got %d-%d", lo, hi)
	}
	if c.TURNMaxAllocations < 1 {
		bad("TURN_MAX_ALLOCATIONS", "must be positive")
	}
	if c.TURNMaxAllocationsPerUser < 1 {
		bad("TURN_MAX_ALLOCATIONS_PER_USER", "must be positive")
	}
	if c.TURNAllocationKbps < 0 {
		bad("TURN_ALLOCATION_KBPS", "must be 0 (unlimited) or positive")
	}
}

func hasScheme(u string, schemes ...string) bool {
	for _, s := range schemes {
		if strings.HasPrefix(strings.ToLower(u), s) && len(u) > len(s) {
			return true
		}
	}
	return false
}
