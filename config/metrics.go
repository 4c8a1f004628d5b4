package config

import (
	"net/netip"
	"slices"
)

// Values of METRICS besides addresses.
const (
	MetricsOff   = "off"   // no /metrics at all
	MetricsAdmin = "admin" // admins' sessions only (the default)
)

// MetricsAccess says who may read GET /metrics: nobody when off, else
// admins' sessions and, without a session, clients from the allowed
// networks (METRICS=127.0.0.1,10.0.0.0/8 for a Prometheus scraper).
func (c *Config) MetricsAccess() (on bool, allow []netip.Prefix) {
	if slices.Contains(c.Metrics, MetricsOff) {
		return false, nil
	}
	for _, item := range c.Metrics {
		if p, ok := parsePrefix(item); ok {
			allow = append(allow, p)
		}
	}
	return true, allow
}

// parsePrefix reads an IP (a /32 or /128) or a CIDR.
func parsePrefix(s string) (netip.Prefix, bool) {
	if ip, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

func (c *Config) validateMetrics(bad func(key, format string, args ...any)) {
	if slices.Contains(c.Metrics, MetricsOff) && len(c.Metrics) > 1 {
		bad("METRICS", "off stands alone, got %q", c.Metrics)
	}
	for _, item := range c.Metrics {
		if _, ok := parsePrefix(item); !ok && item != MetricsOff && item != MetricsAdmin {
			bad("METRICS", "want off, admin, or IPs and CIDRs allowed besides admins; got %q", item)
		}
	}
}
