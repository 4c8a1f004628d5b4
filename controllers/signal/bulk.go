package signal

import (
	"sync"

	"github.com/gorilla/websocket"
)

// bulkMin is the size from which an envelope sent to many connections is
// written from a websocket.PreparedMessage: compressed once for every
// connection that negotiated permessage-deflate (all browsers offer it),
// instead of the same bytes written in full to each. The online list
// grows with every user online and goes to every newcomer; its repeated
// field names deflate well. Smaller
// envelopes (relays, chat) are not worth the compressor's time.
const bulkMin = 2 << 10

// outgoing is one queued message: data, followed by tail if there is one
// (Router.SendSplice). bulk is set for a large envelope that many
// connections get; data is then the whole envelope.
type outgoing struct {
	data []byte
	tail []byte
	bulk *bulk
}

// bulk marks a large envelope shared by many connections. Its
// PreparedMessage is made by the first writer that needs it, off the
// loop, and holds the frames (plain, compressed) made once for all.
type bulk struct {
	once sync.Once
	pm   *websocket.PreparedMessage
}

// newOutgoing wraps msg for many recipients: a bulk one if it is large.
func newOutgoing(msg []byte) outgoing {
	if len(msg) < bulkMin {
		return outgoing{data: msg}
	}
	return outgoing{data: msg, bulk: new(bulk)}
}

// prepared returns the PreparedMessage of data, the envelope b marks, or
// nil if it could not be made (it cannot fail for a text message): the
// writer then writes data as is.
func (b *bulk) prepared(data []byte) *websocket.PreparedMessage {
	b.once.Do(func() { b.pm, _ = websocket.NewPreparedMessage(websocket.TextMessage, data) })
	return b.pm
}
