package ice

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/pion/turn/v5"
	"golang.org/x/time/rate"
)

var (
	errQuota      = errors.New("ice: allocation limit reached")
	errFamily     = errors.New("ice: relay address family not served")
	errPortRange  = errors.New("ice: requested port outside the relay range")
	errDeniedPeer = errors.New("ice: peer address denied")
	// RFC 6062 TCP relays are refused: browsers never ask for them, and
	// they would let a credential open TCP connections to anywhere.
	errTCPRelay    = errors.New("ice: TCP relays are not offered")
	errUserRefused = errors.New("ice: the user may not relay")
)

// relayGenerator opens the relay sockets pion asks for: in the port range,
// on the listen host, announced with the public IP. Each socket counts
// against the allocation limits while open, refuses to send to denied
// peers and is held to the bandwidth limit.
type relayGenerator struct {
	bindHost         string
	publicIP         net.IP
	minPort, maxPort int
	policy           PeerPolicy
	bytesPerSec      int // 0: unlimited
	limits           *limits
	access           *access
	stats            *counters
	open             sync.WaitGroup // relay sockets not yet closed
}

var _ turn.RelayAddressGenerator = (*relayGenerator)(nil)

// Validate is called by pion when the server starts.
func (g *relayGenerator) Validate() error {
	if g.publicIP == nil {
		return errors.New("ice: no relay address")
	}
	return nil
}

// AllocatePacketConn opens the UDP relay socket of a new allocation.
func (g *relayGenerator) AllocatePacketConn(c turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	if (c.Network == "udp6") != (g.publicIP.To4() == nil) {
		return nil, nil, errFamily
	}
	id, err := strconv.ParseUint(c.UserID, 10, 64) // as authenticate wrote it
	if err != nil {
		return nil, nil, errUserRefused
	}
	if !g.limits.acquire(c.UserID) {
		g.stats.quotaRefusals.Add(1)
		return nil, nil, errQuota
	}
	conn, err := g.listen(c.Network, c.RequestedPort)
	if err != nil {
		g.limits.release(c.UserID)
		return nil, nil, err
	}
	g.open.Add(1)
	relay := g.wrap(conn, c.UserID, id)
	if !g.access.add(id, relay) {
		_ = relay.Close() // disabled since authenticate let the request in
		return nil, nil, errUserRefused
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	return relay, &net.UDPAddr{IP: g.publicIP, Port: port}, nil
}

// AllocateListener would open an RFC 6062 TCP relay.
func (g *relayGenerator) AllocateListener(turn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errTCPRelay
}

// AllocateConn would dial a TCP peer for an RFC 6062 relay.
func (g *relayGenerator) AllocateConn(turn.AllocateConnConfig) (net.Conn, error) {
	return nil, errTCPRelay
}

func (g *relayGenerator) listen(network string, requested int) (net.PacketConn, error) {
	at := func(port int) (net.PacketConn, error) {
		return net.ListenPacket(network, net.JoinHostPort(g.bindHost, strconv.Itoa(port)))
	}
	switch {
	case requested != 0 && g.minPort != 0 && (requested < g.minPort || requested > g.maxPort):
		return nil, errPortRange
	case requested != 0:
		return at(requested)
	case g.minPort == 0:
		return at(0)
	}
	var err error
	for range 20 { // a busy port is retried elsewhere in the range
		var conn net.PacketConn
		if conn, err = at(g.minPort + rand.IntN(g.maxPort-g.minPort+1)); err == nil {
			return conn, nil
		}
	}
	return nil, fmt.Errorf("ice: no free relay port in %d-%d: %w", g.minPort, g.maxPort, err)
}

func (g *relayGenerator) wrap(conn net.PacketConn, user string, id uint64) *relayConn {
	c := &relayConn{PacketConn: conn, policy: g.policy, stats: g.stats}
	c.onClose = func() { g.access.remove(id, c); g.limits.release(user); g.open.Done() }
	if g.bytesPerSec > 0 {
		// A second's worth of burst, and never less than a few full-size
		// packets, so a video key frame passes whole.
		burst := max(g.bytesPerSec, 64<<10)
		c.in = rate.NewLimiter(rate.Limit(g.bytesPerSec), burst)
		c.out = rate.NewLimiter(rate.Limit(g.bytesPerSec), burst)
	}
	return c
}

// wait blocks until every relay socket is closed, or for at most d.
func (g *relayGenerator) wait(d time.Duration) {
	done := make(chan struct{})
	go func() { g.open.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// relayConn is one allocation's relay socket.
type relayConn struct {
	net.PacketConn
	policy    PeerPolicy
	in, out   *rate.Limiter // nil: unlimited
	stats     *counters
	closeOnce sync.Once
	onClose   func()
}

// ReadFrom returns the next packet from a peer, dropping those over the
// bandwidth limit as a congested link would.
func (c *relayConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil || c.in == nil || c.in.AllowN(time.Now(), n) {
			return n, addr, err
		}
		c.stats.dropped.Add(1)
	}
}

// WriteTo sends a client's packet to a peer. The permission check already
// refused denied peers; checking again here keeps the deny-list true
// whatever path pion takes to the socket.
func (c *relayConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if ua, ok := addr.(*net.UDPAddr); !ok || !c.policy.Allowed(ua.IP) {
		c.stats.peerDenials.Add(1)
		return 0, errDeniedPeer
	}
	if c.out != nil && !c.out.AllowN(time.Now(), len(p)) {
		c.stats.dropped.Add(1)
		return len(p), nil
	}
	return c.PacketConn.WriteTo(p, addr)
}

// Close closes the socket and gives its allocation slot back. Closing
// again is not an error: pion closes the socket of an allocation that
// SetUserDisabled ended.
func (c *relayConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		err = c.PacketConn.Close()
		c.onClose()
	})
	return err
}
