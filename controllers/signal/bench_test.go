package signal_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"callapp/controllers/signal"
	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
)

// BenchmarkRelayOverWebsockets is one candidate from alice's socket to
// bob's through a real hub on loopback: the server's reader, loop and
// writer, and the test's two gorilla clients, all in this process (so
// the figures include the clients' work). Up to 64 messages are in
// flight.
func BenchmarkRelayOverWebsockets(b *testing.B) {
	a, bob := benchPair(b)
	msg := []byte(`{"method":"Message/Candidate","toId":2,"data":{"candidate":"` + strings.Repeat("x", 520) + `"}}`)
	window := make(chan struct{}, 64)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	go func() {
		for range b.N {
			window <- struct{}{}
			if err := a.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
		}
	}()
	for range b.N {
		if _, _, err := bob.ReadMessage(); err != nil {
			b.Fatal(err)
		}
		<-window
	}
}

// benchPair returns alice's and bob's sockets, in a call with each other.
func benchPair(b *testing.B) (alice, bob *websocket.Conn) {
	opts := signal.TestOptions()
	opts.MessageRate, opts.MessageBurst, opts.SendQueue = 1e9, 1e9, 1024
	db := daotest.Open(b, dao.DriverSQLite)
	h := startStore(b, opts, db, db)
	dial := func(id int) *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial(h.url(uint64(id), fmt.Sprint("user", id)), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		send(b, c, `{"method":"User/Connect"}`)
		readData[json.RawMessage](b, c, models.CodeChatHistory) // connected
		return c
	}
	alice, bob = dial(1), dial(2)
	send(b, alice, `{"method":"Call/Invite","toId":2}`)
	callID := readData[models.IncomingCall](b, bob, models.CodeIncomingCall).CallID
	send(b, bob, `{"method":"Call/Accept","toId":1,"data":{"callId":"`+callID+`"}}`)
	readData[models.CallPeerEvent](b, alice, models.CodeCallAccepted)
	return alice, bob
}

func send(b *testing.B, c *websocket.Conn, msg string) {
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		b.Fatal(err)
	}
}

// readData reads until an envelope with code arrives and decodes its data.
func readData[T any](b *testing.B, c *websocket.Conn, code int) T {
	for {
		_, raw, err := c.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		var env struct {
			Code int
			Data T
		}
		if json.Unmarshal(raw, &env) == nil && env.Code == code {
			return env.Data
		}
	}
}
