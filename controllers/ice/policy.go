package ice

import "net"

// PeerPolicy decides which addresses the relay may send to. An open relay
// is a way into the host's own networks: without it anyone with a
// credential could reach the loopback services of the host or the cloud
// metadata service at 169.254.169.254.
type PeerPolicy struct {
	// AllowPrivate lets the relay reach RFC 1918 and carrier-grade NAT
	// addresses: on a LAN the peers and the relay itself live there.
	AllowPrivate bool
	// AllowLoopback lets the relay reach 127.0.0.0/8 and ::1: tests only.
	AllowLoopback bool
}

// denied are refused whatever the settings: nothing a browser peer can
// legitimately be.
var denied = cidrs(
	"0.0.0.0/8",      // "this network", including the unspecified address
	"169.254.0.0/16", // link-local, including the cloud metadata service
	"192.0.0.0/24",   // IETF protocol assignments
	"224.0.0.0/4",    // multicast
	"240.0.0.0/4",    // reserved, including the broadcast address
	"::/128",         // unspecified
	"fe80::/10",      // link-local
	"fc00::/7",       // unique local: the IPv6 LAN ranges, never a relay's business
	"ff00::/8",       // multicast
	"64:ff9b::/96",   // NAT64: would reach any IPv4 address, past the rules above
)

var loopback = cidrs("127.0.0.0/8", "::1/128")

var private = cidrs("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")

// Allowed reports whether the relay may send to ip.
func (p PeerPolicy) Allowed(ip net.IP) bool {
	if v4 := ip.To4(); v4 != nil {
		ip = v4 // IPv4-mapped IPv6 addresses get the IPv4 rules
	}
	switch {
	case len(ip) == 0 || contains(denied, ip):
		return false
	case contains(loopback, ip):
		return p.AllowLoopback
	case contains(private, ip):
		return p.AllowPrivate
	}
	return true
}

func contains(nets []*net.IPNet, ip net.IP) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func cidrs(list ...string) []*net.IPNet {
	nets := make([]*net.IPNet, len(list))
	for i, s := range list {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			panic(err)
		}
		nets[i] = n
	}
	return nets
}
