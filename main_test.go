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

	"callapp/route/apptest"
)

// server is the real server, run as main runs it, under test.
type server struct {
	addr string // host:port it listens on
	url  string // http://addr
	logs *apptest.LogBuffer
	stop func() int // stops it and returns the exit code; safe to call again
}

// startApp runs the real server, as main does (run: the environment, then
// route.Create, then the listener), on loopback with its own data folder
// and env after those defaults. It is stopped when the test ends, which
// then fails unless it exited with 0, printing its log.
func startApp(t *testing.T, env ...string) *server {
	t.Helper()
	env = append([]string{"CALLAPP_LISTEN=127.0.0.1:0", "CALLAPP_DATA_DIR=" + t.TempDir(), "CALLAPP_BCRYPT_COST=10"}, env...)
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{logs: &apptest.LogBuffer{}}
	addr, code := make(chan string, 1), make(chan int, 1)
	go func() { code <- run(ctx, nil, env, s.logs, func(a string) { addr <- a }) }()
	select {
	case s.addr = <-addr:
	case c := <-code:
		cancel()
		t.Fatalf("server exited with %d: %s", c, s.logs.String())
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	s.url = "http://" + s.addr
	s.stop = sync.OnceValue(func() int { cancel(); return <-code })
	t.Cleanup(func() {
		if c := s.stop(); c != 0 {
			t.Errorf("server exit code %d", c)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs.String())
		}
	})
	return s
}

func TestRunServesAndShutsDown(t *testing.T) {
	app := startApp(t)
	res, err := http.Get(app.url + "/webrtc/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `id="app"`) {
		t.Errorf("login page: %d", res.StatusCode)
	}
	if code := app.stop(); code != 0 {
		t.Errorf("exit code after shutdown: %d", code)
	}
}

func TestRunSelfSignedTLS(t *testing.T) {
	addr := startApp(t, "CALLAPP_TLS_SELF_SIGNED=true").addr
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
