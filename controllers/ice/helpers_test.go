package ice_test

import (
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"
	"go.uber.org/goleak"

	"callapp/controllers/ice"
	"callapp/route/apptest"
)

const (
	testSecret = "test-secret-0123456789"
	testRealm  = "callapp-test"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	goleak.VerifyTestMain(m)
}

// relay is an embedded server on loopback and its log.
type relay struct {
	*ice.Server
	logs *apptest.LogBuffer
	udp  string // host:port of the UDP listener
	tcp  string
}

// startRelay starts a server on 127.0.0.1 that may relay to loopback, as
// every test here needs; tweak changes the options first.
func startRelay(t *testing.T, tweak func(*ice.ServerOptions)) *relay {
	t.Helper()
	logs := &apptest.LogBuffer{}
	o := ice.ServerOptions{
		Listen: "127.0.0.1:0", Realm: testRealm, Secret: testSecret,
		Policy:         ice.PeerPolicy{AllowPrivate: true, AllowLoopback: true},
		MaxAllocations: 50, MaxAllocationsPerUser: 10,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tweak != nil {
		tweak(&o)
	}
	srv := ice.NewServer(o)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return relayOf(srv, logs)
}

// relayOf is a started server and the log it writes.
func relayOf(srv *ice.Server, logs *apptest.LogBuffer) *relay {
	_, turnURLs := srv.URLs()
	return &relay{Server: srv, logs: logs, udp: urlHostPort(turnURLs[0]), tcp: urlHostPort(turnURLs[1])}
}

// urlHostPort takes the host:port out of "turn:host:port?transport=x".
func urlHostPort(u string) string {
	u = u[strings.Index(u, ":")+1:]
	if i := strings.Index(u, "?"); i >= 0 {
		u = u[:i]
	}
	return u
}

// quietPion keeps the pion clients' own logging out of the test output.
var quietPion = &logging.DefaultLoggerFactory{Writer: &apptest.LogBuffer{}, DefaultLogLevel: logging.LogLevelDisabled}

// turnClient is a pion TURN client over UDP with the given credential.
func turnClient(t *testing.T, r *relay, username, password string) *turn.Client {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, r.udp, conn, username, password)
}

func newClient(t *testing.T, server string, conn net.PacketConn, username, password string) *turn.Client {
	t.Helper()
	c, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: server, STUNServerAddr: server, Conn: conn,
		Username: username, Password: password, LoggerFactory: quietPion, RTO: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// validClient is a client holding a fresh credential of userID.
func validClient(t *testing.T, r *relay, userID uint64) *turn.Client {
	c := ice.NewCredential(testSecret, userID, time.Now().Add(time.Hour))
	return turnClient(t, r, c.Username, c.Password)
}

// allocate allocates a relay and closes it when the test ends.
func allocate(t *testing.T, c *turn.Client) (net.PacketConn, error) {
	t.Helper()
	conn, err := c.Allocate()
	if err == nil {
		t.Cleanup(func() { conn.Close() })
	}
	return conn, err
}

// turnCode is the STUN error code of a refused request, or 0.
func turnCode(err error) int {
	var te *stun.TurnError
	if errors.As(err, &te) {
		return int(te.ErrorCodeAttr.Code)
	}
	return 0
}

// eventually polls cond for up to two seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// peer is a plain UDP socket on loopback standing for a relay's peer.
func peer(t *testing.T) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// received counts the packets p gets until it is quiet for quiet.
func received(p net.PacketConn, quiet time.Duration) int {
	buf := make([]byte, 2048)
	n := 0
	for {
		_ = p.SetReadDeadline(time.Now().Add(quiet))
		if _, _, err := p.ReadFrom(buf); err != nil {
			return n
		}
		n++
	}
}

// expectPacket waits for one packet holding want.
func expectPacket(t *testing.T, p net.PacketConn, want string) {
	t.Helper()
	buf := make([]byte, 2048)
	_ = p.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, _, err := p.ReadFrom(buf)
	if err != nil || string(buf[:n]) != want {
		t.Errorf("peer got %q, %v; want %q", buf[:n], err, want)
	}
}
