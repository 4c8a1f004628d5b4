// Package clustertest gives tests a Redis: the machine's, under a key
// prefix of their own, or a redis-server of their own that they may stop
// and start.
package clustertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultURL is the machine's Redis, used unless CALLAPP_TEST_REDIS_URL
// names another.
const DefaultURL = "redis://127.0.0.1:6379/0"

// Redis returns the URL of the shared test Redis and a key prefix of this
// test's own; every key under it is deleted when the test ends. It skips
// the test when Redis does not answer, or fails it under CI=true.
func Redis(t testing.TB) (url, prefix string) {
	t.Helper()
	url = os.Getenv("CALLAPP_TEST_REDIS_URL")
	if url == "" {
		url = DefaultURL
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("clustertest: CALLAPP_TEST_REDIS_URL: %v", err)
	}
	once, _ := redis.ParseURL(url) // asks once: an absent Redis is skipped at once
	once.MaxRetries, once.DialerRetries = -1, 1
	if err := ping(once); err != nil {
		missing(t, fmt.Sprintf("Redis at %s does not answer (%v); set CALLAPP_TEST_REDIS_URL", opt.Addr, err))
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	prefix = "t" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		if err := unlinkAll(opt, prefix); err != nil {
			t.Errorf("clustertest: deleting %s*: %v", prefix, err)
		}
	})
	return url, prefix
}

// missing skips t, or fails it under CI, where every service must be there.
func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal("clustertest: " + why)
	}
	t.Skip("clustertest: " + why)
}

func ping(opt *redis.Options) error {
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

// unlinkAll deletes every key that starts with prefix.
func unlinkAll(opt *redis.Options, prefix string) error {
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) == 0 {
		return nil
	}
	return c.Unlink(ctx, batch...).Err()
}

// Server is a redis-server of a test's own, on a loopback port, keeping
// nothing on disk: stopped and started again, it is empty.
type Server struct {
	t    testing.TB
	port int
	dir  string
	cmd  *exec.Cmd
}

// OwnRedis starts a redis-server for t, stopped when t ends. It skips t
// when redis-server is not installed, or fails it under CI=true.
func OwnRedis(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		missing(t, "redis-server is not installed")
	}
	s := &Server{t: t, port: freePort(t), dir: t.TempDir()}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(s.port) + "/0" }

// Start starts the server again on its port, and returns once it answers.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatal("clustertest: Start: the server runs")
	}
	s.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(s.port),
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--logfile", filepath.Join(s.dir, "redis.log"))
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("clustertest: redis-server: %v", err)
	}
	opt := &redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(s.port), MaxRetries: -1, DialerRetries: 1}
	for deadline := time.Now().Add(10 * time.Second); ping(opt) != nil; {
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("clustertest: redis-server on port %d does not answer; see %s", s.port, s.dir)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server, as a crash would, and waits until it is gone.
// Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// freePort finds a loopback port nobody listens on.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("clustertest: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
