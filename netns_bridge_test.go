package main

// The services the tests share (the machine's Redis and MySQL on loopback)
// are not reachable from the private network namespace the browser tests
// run in (e2e_helpers_test.go), which has a loopback of its own. The file
// system is shared, so the test binary bridges them: outside, it listens
// on a Unix socket per service and passes on to the service's TCP
// address; inside, it listens on that same TCP address, on the
// namespace's loopback, and passes on to the Unix socket. Tests and the
// servers they start as child processes then use the usual addresses.
// Only loopback addresses are bridged: nothing leaves the machine.

import (
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-sql-driver/mysql"

	"callapp/controllers/cluster/clustertest"
	"callapp/dao/daotest"
)

// bridgesEnv lists the bridges for the test binary in the namespace:
// tcp-address=unix-socket, comma-separated. A CALLAPP_TEST_ name: the
// servers the tests start as child processes inherit it, and their
// settings ignore those.
const bridgesEnv = "CALLAPP_TEST_E2E_BRIDGES"

// sharedServices are the loopback TCP addresses of the services the tests
// are configured to share.
func sharedServices() []string {
	var addrs []string
	redisURL := os.Getenv("CALLAPP_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = clustertest.DefaultURL
	}
	if u, err := neturl.Parse(redisURL); err == nil && u.Host != "" {
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "6379")
		}
		addrs = append(addrs, host)
	}
	if dsn := os.Getenv(daotest.MySQLEnv); dsn != "" {
		if cfg, err := mysql.ParseDSN(dsn); err == nil && cfg.Net == "tcp" {
			addrs = append(addrs, cfg.Addr)
		}
	}
	return slices.DeleteFunc(addrs, func(a string) bool { return !isLoopback(a) })
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// bridgeOut starts the outer half of the bridges and returns the variable
// that tells the test binary in the namespace about them, and a stop.
func bridgeOut() (env string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "callapp-bridge-")
	if err != nil {
		return "", nil, err
	}
	var pairs []string
	var bridges []*bridge
	stop = func() {
		for _, b := range bridges {
			b.close()
		}
		_ = os.RemoveAll(dir)
	}
	for i, addr := range sharedServices() {
		sock := filepath.Join(dir, strconv.Itoa(i)+".sock")
		b, err := startBridge("unix", sock, "tcp", addr)
		if err != nil {
			stop()
			return "", nil, err
		}
		bridges = append(bridges, b)
		pairs = append(pairs, addr+"="+sock)
	}
	return bridgesEnv + "=" + strings.Join(pairs, ","), stop, nil
}

// bridgeIn starts the inner half of the bridges bridgeOut set up, in the
// namespace.
func bridgeIn() (stop func(), err error) {
	var bridges []*bridge
	stop = func() {
		for _, b := range bridges {
			b.close()
		}
	}
	for _, pair := range strings.Split(os.Getenv(bridgesEnv), ",") {
		addr, sock, ok := strings.Cut(pair, "=")
		if !ok {
			continue
		}
		b, err := startBridge("tcp", addr, "unix", sock)
		if err != nil {
			stop()
			return nil, fmt.Errorf("bridging %s in the namespace: %w", addr, err)
		}
		bridges = append(bridges, b)
	}
	return stop, nil
}

// bridge listens on one address and passes each connection on to another.
type bridge struct {
	ln      net.Listener
	network string
	target  string
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

func startBridge(network, addr, toNetwork, to string) (*bridge, error) {
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	b := &bridge{ln: ln, network: toNetwork, target: to, conns: map[net.Conn]struct{}{}}
	b.wg.Add(1)
	go b.accept()
	return b, nil
}

func (b *bridge) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Add(1)
		go b.serve(c)
	}
}

// serve passes bytes both ways until either side closes, then closes both.
func (b *bridge) serve(c net.Conn) {
	defer b.wg.Done()
	defer c.Close()
	up, err := net.Dial(b.network, b.target)
	if err != nil {
		return
	}
	defer up.Close()
	if !b.track(c, up) {
		return
	}
	defer b.untrack(c, up)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	<-done
}

func (b *bridge) track(cs ...net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conns == nil {
		return false // closed
	}
	for _, c := range cs {
		b.conns[c] = struct{}{}
	}
	return true
}

func (b *bridge) untrack(cs ...net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range cs {
		delete(b.conns, c)
	}
}

// close stops listening, drops every connection and waits for the
// goroutines.
func (b *bridge) close() {
	_ = b.ln.Close()
	b.mu.Lock()
	for c := range b.conns {
		_ = c.Close()
	}
	b.conns = nil
	b.mu.Unlock()
	b.wg.Wait()
}
