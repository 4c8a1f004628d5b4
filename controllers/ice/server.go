package ice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/pion/turn/v5"
	"golang.org/x/time/rate"
)

// ServerOptions configures the embedded STUN/TURN server.
type ServerOptions struct {
	Listen   string // host:port of both the UDP and the TCP listener
	PublicIP net.IP // relay address and URL host; nil: Listen's host, which must then be an IP
	Realm    string
	Secret   string // checks the credentials a Provider with the same secret hands out

	RelayPortMin, RelayPortMax int // relay sockets' ports; 0 and 0: any
	Policy                     PeerPolicy
	MaxAllocations             int // open at once in all
	MaxAllocationsPerUser      int
	AllocationKbps             int // per allocation and direction; 0: unlimited

	// Users lists the disabled accounts, whose credentials are refused;
	// nil refuses only those SetUserDisabled names.
	Users       DisabledUsers
	UserRefresh time.Duration // how often Users is read again; 0: 15s

	Log *slog.Logger     // nil: slog.Default()
	Now func() time.Time // nil: time.Now; tests move the clock
}

// Server is the embedded STUN/TURN server. It relays only for holders of a
// valid, unexpired credential, never to a denied peer, within the limits.
type Server struct {
	opts     ServerOptions
	log      *slog.Logger
	limits   *limits
	access   *access
	stats    counters
	gen      *relayGenerator
	refusals rate.Sometimes // keeps a flood of bad requests out of the log

	turn      *turn.Server
	udp       net.PacketConn
	tcp       *trackedListener
	closeOnce sync.Once
	closeErr  error
	stopped   context.Context // done once Close is called: the user refresh ends
	stop      context.CancelFunc
	refresher sync.WaitGroup // the user refresh goroutine
}

// NewServer returns a server that Start will start.
func NewServer(o ServerOptions) *Server {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UserRefresh <= 0 {
		o.UserRefresh = 15 * time.Second
	}
	s := &Server{
		opts: o, log: o.Log.With("component", "turn"),
		limits:   newLimits(o.MaxAllocations, o.MaxAllocationsPerUser),
		access:   newAccess(),
		refusals: rate.Sometimes{First: 10, Interval: time.Minute},
	}
	s.stopped, s.stop = context.WithCancel(context.Background())
	return s
}

// Start opens the UDP and TCP listeners and starts serving.
func (s *Server) Start() error {
	host, _, err := net.SplitHostPort(s.opts.Listen)
	if err != nil {
		return fmt.Errorf("ice: listen address: %w", err)
	}
	publicIP := s.opts.PublicIP
	if publicIP == nil {
		if publicIP = net.ParseIP(host); publicIP == nil || publicIP.IsUnspecified() {
			return errors.New("ice: a relay IP is needed when listening on " + s.opts.Listen)
		}
	}
	s.gen = &relayGenerator{
		bindHost: host, publicIP: publicIP, policy: s.opts.Policy,
		minPort: s.opts.RelayPortMin, maxPort: s.opts.RelayPortMax,
		bytesPerSec: s.opts.AllocationKbps * 1000 / 8, limits: s.limits, access: s.access, stats: &s.stats,
	}
	s.reloadUsers() // before the first request
	if err := s.listen(); err != nil {
		return err
	}
	if err := s.serve(); err != nil {
		s.udp.Close()
		s.tcp.Close()
		return err
	}
	s.refreshUsers()
	s.log.Info("turn server started", "udp", s.udp.LocalAddr(), "tcp", s.tcp.Addr(), "relay_ip", publicIP,
		"realm", s.opts.Realm, "allow_private", s.opts.Policy.AllowPrivate, "allow_loopback", s.opts.Policy.AllowLoopback)
	return nil
}

func (s *Server) listen() error {
	udp, err := net.ListenPacket("udp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("ice: turn udp: %w", err)
	}
	tcp, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		udp.Close()
		return fmt.Errorf("ice: turn tcp: %w", err)
	}
	s.udp, s.tcp = udp, newTrackedListener(tcp)
	return nil
}

func (s *Server) serve() error {
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm:         s.opts.Realm,
		AuthHandler:   s.authenticate,
		QuotaHandler:  s.quota,
		EventHandler:  s.events(),
		LoggerFactory: pionLogs{s.log},
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn: s.udp, RelayAddressGenerator: s.gen, PermissionHandler: s.permit,
		}},
		ListenerConfigs: []turn.ListenerConfig{{
			Listener: s.tcp, RelayAddressGenerator: s.gen, PermissionHandler: s.permit,
		}},
	})
	if err != nil {
		return fmt.Errorf("ice: turn server: %w", err)
	}
	s.turn = srv
	return nil
}

// Close stops the server: listeners, client connections and relays. It
// waits briefly for pion to close the relays, so that a restart finds
// their ports free.
func (s *Server) Close() error {
	if s == nil || s.turn == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		s.stop()
		s.refresher.Wait()
		s.closeErr = s.turn.Close()
		s.tcp.closeAll()
		s.gen.wait(2 * time.Second)
		s.log.Info("turn server stopped", "stats", s.Stats())
	})
	return s.closeErr
}

// URLs returns the server's stun: URL and its turn: URLs, one per
// transport, with the relay IP as host. Call it after Start, which picks
// the ports when Listen asks for any.
func (s *Server) URLs() (stun, turn []string) {
	udp := net.JoinHostPort(s.gen.publicIP.String(), strconv.Itoa(s.udp.LocalAddr().(*net.UDPAddr).Port))
	tcp := net.JoinHostPort(s.gen.publicIP.String(), strconv.Itoa(s.tcp.Addr().(*net.TCPAddr).Port))
	return []string{"stun:" + udp}, []string{"turn:" + udp + "?transport=udp", "turn:" + tcp + "?transport=tcp"}
}

// Stats returns the allocation counts; zero for a nil Server.
func (s *Server) Stats() Stats {
	if s == nil {
		return Stats{}
	}
	active, users := s.limits.counts()
	return Stats{
		Active: active, Users: users, Created: s.stats.created.Load(),
		AuthFailures: s.stats.authFailures.Load(), QuotaRefusals: s.stats.quotaRefusals.Load(),
		PeerDenials: s.stats.peerDenials.Load(), DroppedPackets: s.stats.dropped.Load(),
	}
}
