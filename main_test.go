package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// startApp runs the real server with the given environment and returns its
// address and a function that stops it and returns the exit code.
func startApp(t *testing.T, env ...string) (string, func() int) {
	t.Helper()
	env = append([]string{"CALLAPP_LISTEN=127.0.0.1:0", "CALLAPP_DATA_DIR=" + t.TempDir(), "CALLAPP_BCRYPT_COST=10"}, env...)
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	code := make(chan int, 1)
	var logs syncBuffer
	go func() { code <- run(ctx, nil, env, &logs, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		return a, func() int { cancel(); return <-code }
	case c := <-code:
		cancel()
		t.Fatalf("server exited with %d: %s", c, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start")
	}
	return "", nil
}

func TestRunServesAndShutsDown(t *testing.T) {
	addr, stop := startApp(t)
	res, err := http.Get("http://" + addr + "/webrtc/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `id="app"`) {
		t.Errorf("login page: %d", res.StatusCode)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code after shutdown: %d", code)
	}
}

func TestRunSelfSignedTLS(t *testing.T) {
	addr, stop := startApp(t, "CALLAPP_TLS_SELF_SIGNED=true")
	defer stop()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := c.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil {
		t.Errorf("healthz over TLS: %d", res.StatusCode)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	var out bytes.Buffer
	code := run(context.Background(), nil, []string{"CALLAPP_DB_DRIVER=oracle"}, &out, nil)
	if code != 2 || !strings.Contains(out.String(), "CALLAPP_DB_DRIVER") {
		t.Errorf("bad driver: exit %d, output %q", code, out.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
