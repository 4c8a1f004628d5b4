package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"callapp/config"
)

// noTURN keeps these servers off the TURN port other tests may hold.
const noTURN = "CALLAPP_TURN_ENABLED=false"

// rawConn is a TCP connection to addr that the test closes, bounded by a
// deadline far past any the server is given.
func rawConn(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return conn, bufio.NewReader(conn)
}

// send writes req on its own goroutine, so that a server that answers
// before reading it all is heard.
func send(conn net.Conn, req string) {
	go func() { _, _ = io.WriteString(conn, req) }()
}

func readResponse(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(body)
}

// expectClosed fails unless the server closes the connection.
func expectClosed(t *testing.T, br *bufio.Reader, what string) {
	t.Helper()
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("%s: the connection is still open (%v), want it closed by the server", what, err)
	}
}

func TestIdleKeepAliveConnectionClosed(t *testing.T) {
	addr := startApp(t, noTURN, "CALLAPP_HTTP_IDLE_TIMEOUT=200ms").addr
	conn, br := rawConn(t, addr)
	send(conn, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	if res, _ := readResponse(t, br); res.StatusCode != http.StatusOK || res.Close {
		t.Fatalf("healthz: %d, close %v; want 200 on a kept-alive connection", res.StatusCode, res.Close)
	}
	expectClosed(t, br, "idle keep-alive connection")
}

func TestSlowRequestBodyCut(t *testing.T) {
	addr := startApp(t, noTURN, "CALLAPP_HTTP_READ_TIMEOUT=200ms").addr
	conn, br := rawConn(t, addr)
	// A tenth of the body promised, then nothing.
	send(conn, "POST /webrtc/login HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\":")
	res, body := readResponse(t, br)
	var msg struct{ Message string }
	_ = json.Unmarshal([]byte(body), &msg)
	if res.StatusCode != http.StatusRequestTimeout || msg.Message != "request body too slow" {
		t.Errorf("dripped body: %d %s, want 408 request body too slow", res.StatusCode, body)
	}
	expectClosed(t, br, "after a dripped body")
}

func TestOversizedHeadersGet431(t *testing.T) {
	addr := startApp(t, noTURN).addr
	limit := config.Default().HTTPMaxHeaderBytes
	for _, tc := range []struct {
		size   int
		status int
	}{
		{limit / 2, http.StatusOK},
		{2 * limit, http.StatusRequestHeaderFieldsTooLarge},
	} {
		conn, br := rawConn(t, addr)
		send(conn, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\nX-Big: "+strings.Repeat("a", tc.size)+"\r\n\r\n")
		if res, _ := readResponse(t, br); res.StatusCode != tc.status {
			t.Errorf("a %d-byte header: %d, want %d", tc.size, res.StatusCode, tc.status)
		}
	}
}

// A client that stops reading a response is cut at the write deadline
// instead of holding the handler. No route answers without end, so the
// server is built as listen builds it, around a handler that does.
func TestSlowReaderCutByWriteDeadline(t *testing.T) {
	cfg := config.Default()
	cfg.HTTPWriteTimeout = 200 * time.Millisecond
	failed := make(chan error, 1)
	srv := httpServer(cfg, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		chunk := make([]byte, 64<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				failed <- err
				return
			}
		}
	}), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	conn, _ := rawConn(t, ln.Addr().String())
	send(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") // and never read
	select {
	case <-failed:
	case <-time.After(10 * time.Second):
		t.Fatal("a client that does not read holds the handler")
	}
}

// The websocket lives on past the read and write deadlines of HTTP.
func TestWebSocketOutlivesHTTPDeadlines(t *testing.T) {
	// Long enough to answer the register below (a bcrypt) on a loaded machine.
	const writeTimeout = 3 * time.Second
	addr := startApp(t, noTURN, "CALLAPP_BCRYPT_COST=10", "CALLAPP_HTTP_READ_TIMEOUT=100ms",
		fmt.Sprintf("CALLAPP_HTTP_WRITE_TIMEOUT=%v", writeTimeout)).addr
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	res, err := c.Post("http://"+addr+"/webrtc/register", "application/json", strings.NewReader(`{"username":"alice","password":"password-alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d", res.StatusCode)
	}
	h := http.Header{"Origin": {"http://" + addr}}
	for _, ck := range jar.Cookies(res.Request.URL) {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/webrtc/wss", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	expectCode := func(code int) {
		t.Helper()
		for {
			var env struct{ Code int }
			if err := ws.ReadJSON(&env); err != nil {
				t.Fatalf("waiting for %d: %v", code, err)
			}
			if env.Code == code {
				return
			}
		}
	}
	if err := ws.WriteJSON(map[string]string{"method": "User/Connect"}); err != nil {
		t.Fatal(err)
	}
	expectCode(10002)
	time.Sleep(writeTimeout + 200*time.Millisecond) // past both deadlines
	if err := ws.WriteJSON(map[string]string{"method": "User/Connect"}); err != nil {
		t.Fatal(err)
	}
	expectCode(10001) // already connected: read and answered
}
