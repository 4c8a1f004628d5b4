package signal

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"time"
)

// socket is the hijacked connection as gorilla sees it. gorilla sets the
// write deadline before every frame, to the zero time when none was asked
// for (this hub asks for none: see client.write), and each call takes the
// runtime poller's lock for the socket: 13% of the server's CPU when chat
// messages went to 2,000 users. socket passes a zero deadline on only
// when there is one to clear.
type socket struct {
	net.Conn
	writeDeadline bool // a write deadline is set; only gorilla's writer touches it
}

func (s *socket) SetWriteDeadline(t time.Time) error {
	if t.IsZero() && !s.writeDeadline {
		return nil
	}
	s.writeDeadline = !t.IsZero()
	return s.Conn.SetWriteDeadline(t)
}

func (s *socket) SetDeadline(t time.Time) error {
	s.writeDeadline = !t.IsZero()
	return s.Conn.SetDeadline(t)
}

// CloseWrite half-closes the socket (awaitPeerClose) if it can.
func (s *socket) CloseWrite() error {
	if cw, ok := s.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// hijacker hands gorilla's upgrader the connection wrapped in a socket.
type hijacker struct{ http.ResponseWriter }

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("signal: the response cannot be hijacked")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	return &socket{Conn: nc}, brw, nil
}
