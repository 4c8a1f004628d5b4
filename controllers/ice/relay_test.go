package ice_test

import (
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"

	"callapp/controllers/ice"
)

// TestDenyListRefusesRelay: by default the relay refuses loopback and the
// cloud metadata address, and a peer it refuses never gets a packet; an
// allowed peer does. No packet leaves loopback: refused addresses are
// only ever named in CreatePermission requests to the server.
func TestDenyListRefusesRelay(t *testing.T) {
	byDefault := startRelay(t, func(o *ice.ServerOptions) { o.Policy = ice.PeerPolicy{AllowPrivate: true} })
	c := validClient(t, byDefault, 1)
	conn, err := allocate(t, c)
	if err != nil {
		t.Fatal(err)
	}
	target := peer(t)
	if _, err := conn.WriteTo([]byte("to loopback"), target.LocalAddr()); err == nil {
		t.Error("relay to loopback accepted")
	}
	for _, denied := range []string{"169.254.169.254:80", "224.0.0.251:5353", "0.0.0.0:9"} {
		addr, _ := net.ResolveUDPAddr("udp4", denied)
		if err := c.CreatePermission(addr); turnCode(err) != int(stun.CodeForbidden) {
			t.Errorf("permission to %s: %v, want 403", denied, err)
		}
	}
	if n := received(target, 200*time.Millisecond); n != 0 {
		t.Errorf("denied peer got %d packets", n)
	}
	if st := byDefault.Stats(); st.PeerDenials < 4 {
		t.Errorf("peer denials counted: %+v", st)
	}

	// The same relay to an allowed peer delivers.
	open := startRelay(t, nil)
	conn, err = allocate(t, validClient(t, open, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.WriteTo([]byte("hello"), target.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	expectPacket(t, target, "hello")
}

// TestPrivatePeersFollowConfig: TURN_ALLOW_PRIVATE=false refuses LAN
// addresses, the default grants them.
func TestPrivatePeersFollowConfig(t *testing.T) {
	lan, _ := net.ResolveUDPAddr("udp4", "192.168.1.20:5000")
	for allow, want := range map[bool]bool{true: true, false: false} {
		r := startRelay(t, func(o *ice.ServerOptions) { o.Policy.AllowPrivate = allow })
		c := validClient(t, r, 1)
		if _, err := allocate(t, c); err != nil {
			t.Fatal(err)
		}
		if err := c.CreatePermission(lan); (err == nil) != want {
			t.Errorf("allow private %v: permission error %v", allow, err)
		}
	}
}

// TestAllocationLimits: per user and in total, with 486 as RFC 5766 says,
// and a closed relay frees its slot.
func TestAllocationLimits(t *testing.T) {
	r := startRelay(t, func(o *ice.ServerOptions) { o.MaxAllocations, o.MaxAllocationsPerUser = 3, 2 })
	first := validClient(t, r, 1)
	firstConn, err := allocate(t, first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := allocate(t, validClient(t, r, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := allocate(t, validClient(t, r, 1)); turnCode(err) != int(stun.CodeAllocQuotaReached) {
		t.Errorf("third allocation of user 1: %v, want 486", err)
	}
	if _, err := allocate(t, validClient(t, r, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := allocate(t, validClient(t, r, 3)); turnCode(err) != int(stun.CodeAllocQuotaReached) {
		t.Errorf("fourth allocation in all: %v, want 486", err)
	}
	if st := r.Stats(); st.Active != 3 || st.Users != 2 || st.QuotaRefusals != 2 {
		t.Errorf("stats at the limit: %+v", st)
	}
	firstConn.Close() // deallocates
	eventually(t, "the slot to free", func() bool { return r.Stats().Active == 2 })
	if _, err := allocate(t, validClient(t, r, 3)); err != nil {
		t.Errorf("allocation after one closed: %v", err)
	}
}

// TestBandwidthLimit: a relay sending far over its rate drops the excess.
func TestBandwidthLimit(t *testing.T) {
	r := startRelay(t, func(o *ice.ServerOptions) { o.AllocationKbps = 64 }) // 8 kB/s, 64 KiB burst
	conn, err := allocate(t, validClient(t, r, 1))
	if err != nil {
		t.Fatal(err)
	}
	target := peer(t)
	payload := make([]byte, 1000)
	const sent = 150 // 150 kB: over twice the burst
	for i := range sent {
		if _, err := conn.WriteTo(payload, target.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			time.Sleep(time.Millisecond) // spare the socket buffers: only the limit should drop
		}
	}
	got := received(target, 300*time.Millisecond)
	if got == 0 || got > 80 || r.Stats().DroppedPackets == 0 {
		t.Errorf("received %d of %d, dropped %d: want about 65", got, sent, r.Stats().DroppedPackets)
	}
}

// TestTCPClientAndNoTCPRelays: browsers behind UDP-blocking firewalls reach
// the server over TCP and get a UDP relay; RFC 6062 TCP relays, which no
// browser uses, are refused.
func TestTCPClientAndNoTCPRelays(t *testing.T) {
	r := startRelay(t, nil)
	cred := ice.NewCredential(testSecret, 1, time.Now().Add(time.Hour))
	tcpConn, err := net.Dial("tcp", r.tcp)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, r.tcp, turn.NewSTUNConn(tcpConn), cred.Username, cred.Password)
	conn, err := allocate(t, c)
	if err != nil {
		t.Fatal(err)
	}
	target := peer(t)
	if _, err := conn.WriteTo([]byte("over tcp"), target.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	expectPacket(t, target, "over tcp")
	tcpRelay := validClient(t, r, 2)
	if alloc, err := tcpRelay.AllocateTCP(); err == nil {
		alloc.Close()
		t.Error("TCP relay granted")
	}
}

// TestCloseEndsEverything: Close with a relay and a TCP client open
// returns promptly, frees the ports and leaves no goroutine (TestMain).
func TestCloseEndsEverything(t *testing.T) {
	r := startRelay(t, nil)
	if _, err := allocate(t, validClient(t, r, 1)); err != nil {
		t.Fatal(err)
	}
	tcpConn, err := net.Dial("tcp", r.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer tcpConn.Close()
	start := time.Now()
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if st := r.Stats(); st.Active != 0 {
		t.Errorf("relays left open: %+v", st)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	again := ice.NewServer(ice.ServerOptions{Listen: r.udp, Realm: testRealm, Secret: testSecret,
		MaxAllocations: 1, MaxAllocationsPerUser: 1, Log: slog.New(slog.DiscardHandler)})
	if err := again.Start(); err != nil {
		t.Errorf("restart on the same port: %v", err)
	}
	again.Close()
	var none *ice.Server
	if none.Close() != nil || none.Stats() != (ice.Stats{}) {
		t.Error("nil server not inert")
	}
}
