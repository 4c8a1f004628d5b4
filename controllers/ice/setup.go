package ice

import (
	"errors"
	"log/slog"
	"net"
)

// Options is the whole ICE setup: which servers browsers are handed and
// whether the embedded server runs. The constructor of the app fills it
// from the configuration.
type Options struct {
	// Embedded runs the embedded STUN/TURN server with Server's options
	// and adds its URLs to those Provider hands out.
	Embedded bool
	// Server configures the embedded server. A nil PublicIP is Listen's
	// IP or, listening on every interface, the first LAN IPv4 (see relayIP).
	Server ServerOptions
	// Provider lists the external servers; its Secret must be Server's
	// when Embedded.
	Provider ProviderOptions
}

// Mode names the ICE setup, as admins see it: external TURN servers, the
// embedded one, STUN only, or nothing.
func (o Options) Mode() string {
	switch {
	case len(o.Provider.TURNURLs) > 0:
		return "external"
	case o.Embedded:
		return "embedded"
	case len(o.Provider.STUNURLs) > 0:
		return "stun"
	}
	return "off"
}

// Start builds the ICE setup o asks for: the embedded server, started,
// with a Provider handing out its URLs; or, with external TURN servers or
// none, only a Provider and a nil Server (whose Close, Stats and
// SetUserDisabled are safe to call).
func Start(o Options) (*Server, *Provider, error) {
	log := o.Server.Log
	if log == nil {
		log = slog.Default()
	}
	if !o.Embedded {
		log.Info("embedded turn server off", "turn_urls", o.Provider.TURNURLs, "stun_urls", o.Provider.STUNURLs)
		return nil, NewProvider(o.Provider), nil
	}
	if o.Server.PublicIP == nil {
		ip, err := relayIP(o.Server.Listen, log)
		if err != nil {
			return nil, nil, err
		}
		o.Server.PublicIP = ip
	}
	srv := NewServer(o.Server)
	if err := srv.Start(); err != nil {
		return nil, nil, err
	}
	stun, turn := srv.URLs()
	po := o.Provider
	po.STUNURLs = append(stun, po.STUNURLs...)
	po.TURNURLs = turn
	return srv, NewProvider(po), nil
}

// relayIP is the address relays are announced with when none is given:
// the listen IP, else (listening on every interface) the machine's first
// LAN IPv4, which is right for a LAN and for a host with a public
// interface, and wrong behind NAT, hence the warning.
func relayIP(listen string, log *slog.Logger) (net.IP, error) {
	host, _, _ := net.SplitHostPort(listen)
	if host == "localhost" {
		return net.IPv4(127, 0, 0, 1), nil
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		return ip, nil
	}
	ip := firstLANIPv4()
	if ip == nil {
		return nil, errors.New("ice: no IPv4 address to announce relays with: set CALLAPP_TURN_PUBLIC_IP")
	}
	log.Warn("turn relay IP guessed from the interfaces; set CALLAPP_TURN_PUBLIC_IP behind NAT", "relay_ip", ip)
	return ip, nil
}

func firstLANIPv4() net.IP {
	ifaces, _ := net.Interfaces()
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || iface.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := iface.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
				return n.IP.To4()
			}
		}
	}
	return nil
}
