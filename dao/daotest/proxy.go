package daotest

import (
	"errors"
	"net"
	"os"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"

	"callapp/dao"
)

// Mode is how a Proxy treats the connections through it.
type Mode int

// Proxy modes: a healthy database, one that stops answering, one that is
// down.
const (
	// Forward passes bytes both ways.
	Forward Mode = iota
	// Blackhole keeps every connection open and answers nothing, as a
	// database behind a dead link or frozen by a full disk does: bytes
	// already in flight are dropped, new connections are accepted and
	// never greeted.
	Blackhole
	// Down closes every connection and every new one at once, as a
	// stopped database's host does.
	Down
)

// Proxy is a TCP proxy in front of a database that a test can make stop
// answering, and answer again.
type Proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	mode   Mode
	conns  map[net.Conn]bool // open connections, both sides; true once they dropped bytes
	wg     sync.WaitGroup
}

// NewProxy listens on loopback and forwards to target (host:port) until
// the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: make(map[net.Conn]bool)}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is where clients connect.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Set switches the mode. Connections that dropped bytes while the
// database did not answer are closed when it answers again: their
// protocol state is lost, as after a long partition.
func (p *Proxy) Set(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	for c, broken := range p.conns {
		if m == Down || (m == Forward && broken) {
			_ = c.Close()
		}
	}
}

func (p *Proxy) close() {
	_ = p.ln.Close()
	p.Set(Down)
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve pipes one client connection to the target, or holds it silent.
func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	if !p.track(client) {
		return
	}
	defer p.untrack(client)
	if p.current() == Blackhole {
		p.pipe(nil, client) // reads and drops until the client gives up
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(server) {
		return
	}
	defer p.untrack(server)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.pipe(client, server)
		_ = client.Close()
	}()
	p.pipe(server, client)
	_ = server.Close()
}

// pipe copies src to dst while forwarding; otherwise it drops what it
// reads and marks src broken. A nil dst drops everything.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if dst == nil || p.current() != Forward {
				p.markBroken(src)
			} else if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// track registers an open connection; false (and closed) when down.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == Down {
		_ = c.Close()
		return false
	}
	p.conns[c] = false
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *Proxy) markBroken(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.conns[c]; ok {
		p.conns[c] = true
	}
}

func (p *Proxy) current() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// MySQLBehindProxy creates a fresh MySQL database and returns options that
// reach it through a new Proxy, forwarding. Without a configured MySQL
// the test is skipped (failed under CI=true).
func MySQLBehindProxy(t testing.TB) (dao.Options, *Proxy) {
	t.Helper()
	if os.Getenv(MySQLEnv) == "" {
		Skip(t, "needs MySQL: set "+MySQLEnv+"=root@tcp(127.0.0.1:3306)/ to run it")
		t.SkipNow()
	}
	opts := Options(t, dao.DriverMySQL)
	cfg, err := mysql.ParseDSN(opts.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Net != "tcp" {
		t.Fatal(errors.New(MySQLEnv + " must be a tcp() address for the proxy"))
	}
	p := NewProxy(t, cfg.Addr)
	cfg.Addr = p.Addr()
	opts.DSN = cfg.FormatDSN()
	return opts, p
}
