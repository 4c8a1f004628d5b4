package signal_test

import (
	"net/http"
	"testing"

	"github.com/gorilla/websocket"

	"callapp/models"
)

// dialFrom opens a websocket for user id as if from the client address
// addr; it returns the HTTP status of a refused upgrade.
func (h *harness) dialFrom(id uint64, addr string) (*websocket.Conn, int) {
	h.t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(h.url(id, "u")+"&addr="+addr, nil)
	if err != nil {
		if resp == nil {
			h.t.Fatalf("dial as %d from %s: %v", id, addr, err)
		}
		return nil, resp.StatusCode
	}
	h.t.Cleanup(func() { conn.Close() })
	return conn, http.StatusSwitchingProtocols
}

func TestPendingConnectionsCappedPerAddress(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.MaxPendingPerAddr = 2
	h := start(t, opts)
	a1, _ := h.dialFrom(1, "192.0.2.1")
	a2, _ := h.dialFrom(2, "192.0.2.1")
	if _, status := h.dialFrom(3, "192.0.2.1"); status != http.StatusTooManyRequests {
		t.Fatalf("third connection from one address waiting for User/Connect: %d, want 429", status)
	}
	if _, status := h.dialFrom(4, "192.0.2.2"); status != http.StatusSwitchingProtocols {
		t.Fatalf("another address: %d, want an upgrade", status)
	}

	// User/Connect gives the place back.
	p1 := h.peerOn(a1, 1, nil)
	p1.send(models.MethodConnect, 0, nil)
	p1.expect(models.CodeWelcome)
	a3, status := h.dialFrom(3, "192.0.2.1")
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("after one sent User/Connect: %d, want an upgrade", status)
	}
	if _, status := h.dialFrom(5, "192.0.2.1"); status != http.StatusTooManyRequests {
		t.Fatalf("the cap again: %d, want 429", status)
	}

	// So does a connection that ends without it: closed by the client, or
	// by the server when the connect timeout runs out.
	p2 := h.peerOn(a2, 2, nil)
	_ = p2.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	p2.closed() // the server answered the close: it has let go
	if _, status := h.dialFrom(5, "192.0.2.1"); status != http.StatusSwitchingProtocols {
		t.Fatalf("after one closed: %d, want an upgrade", status)
	}
	expectClose(t, h.peerOn(a3, 3, nil), models.ClosePolicyViolation, "connect timeout")
	if _, status := h.dialFrom(6, "192.0.2.1"); status != http.StatusSwitchingProtocols {
		t.Fatalf("after a connect timeout: %d, want an upgrade", status)
	}
}
