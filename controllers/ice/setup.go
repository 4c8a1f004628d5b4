package ice

import (
	"errors"
	"log/slog"
	"net"

	"callapp/config"
)

// Start builds the ICE setup the configuration asks for: the embedded
// server, started, refusing the accounts users lists as disabled, with a
// Provider handing out its URLs; or, with external TURN servers or none,
// only a Provider and a nil Server (whose Close, Stats and
// SetUserDisabled are safe to call).
func Start(cfg *config.Config, log *slog.Logger, users DisabledUsers) (*Server, *Provider, error) {
	po := ProviderOptions{
		Secret: cfg.TURNSecret, TTL: cfg.TURNCredentialTTL,
		STUNURLs: cfg.STUNURLs, TURNURLs: cfg.TURNURLs,
	}
	if !cfg.TURNEmbedded() {
		log.Info("embedded turn server off", "turn_urls", cfg.TURNURLs, "stun_urls", cfg.STUNURLs)
		return nil, NewProvider(po), nil
	}
	publicIP, err := relayIP(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	srv := NewServer(ServerOptions{
		Listen: cfg.TURNListenAddr(), PublicIP: publicIP, Realm: cfg.TURNRealm, Secret: cfg.TURNSecret,
		RelayPortMin: cfg.TURNRelayPortMin, RelayPortMax: cfg.TURNRelayPortMax,
		Policy:         PeerPolicy{AllowPrivate: cfg.TURNAllowPrivate, AllowLoopback: cfg.TURNAllowLoopback},
		MaxAllocations: cfg.TURNMaxAllocations, MaxAllocationsPerUser: cfg.TURNMaxAllocationsPerUser,
		AllocationKbps: cfg.TURNAllocationKbps, Users: users, Log: log,
	})
	if err := srv.Start(); err != nil {
		return nil, nil, err
	}
	stun, turn := srv.URLs()
	po.STUNURLs = append(stun, cfg.STUNURLs...)
	po.TURNURLs = turn
	return srv, NewProvider(po), nil
}

// relayIP is the address relays are announced with: TURN_PUBLIC_IP, else
// the listen IP, else (listening on every interface) the machine's first
// LAN IPv4, which is right for a LAN and for a host with a public
// interface, and wrong behind NAT, hence the warning.
func relayIP(cfg *config.Config, log *slog.Logger) (net.IP, error) {
	if cfg.TURNPublicIP != "" {
		return net.ParseIP(cfg.TURNPublicIP), nil
	}
	host, _, _ := net.SplitHostPort(cfg.TURNListenAddr())
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
