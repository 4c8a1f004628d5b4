package signal_test

import (
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"callapp/models"
)

// TestPionPeersCallThroughTheHub connects two real WebRTC peers that
// signal only through the hub over websockets (invite, accept, offer,
// answer, trickled candidates) and exchange data over the connection.
func TestPionPeersCallThroughTheHub(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b := h.join(1, "alice"), h.join(2, "bob")
	callID := connectCall(t, a, b)

	pcA, pcB := loopbackPeer(t), loopbackPeer(t)
	sigA, sigB := newSignaler(t, pcA, a, b.id), newSignaler(t, pcB, b, a.id)
	fromB, fromA := make(chan string, 1), make(chan string, 1)
	dc, err := pcA.CreateDataChannel("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	dc.OnOpen(func() { _ = dc.SendText("hello from alice") })
	dc.OnMessage(func(m webrtc.DataChannelMessage) { fromB <- string(m.Data) })
	pcB.OnDataChannel(func(d *webrtc.DataChannel) {
		d.OnMessage(func(m webrtc.DataChannelMessage) {
			fromA <- string(m.Data)
			_ = d.SendText("hello from bob")
		})
	})
	go sigA.run()
	go sigB.run()

	offer, err := pcA.CreateOffer(nil) // the caller offers after the accept
	if err != nil {
		t.Fatal(err)
	}
	if err := pcA.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	sigA.send(models.MethodOffer, offer)

	expectText(t, fromA, "hello from alice")
	expectText(t, fromB, "hello from bob")
	sigA.stop()
	sigB.stop()
	if sigA.candidates == 0 || sigB.candidates == 0 {
		t.Errorf("candidates relayed: alice got %d, bob got %d", sigA.candidates, sigB.candidates)
	}
	a.call(models.MethodHangup, b.id, callID)
	b.waitFor(models.CodeCallEnded)
}

// loopbackPeer returns a peer connection that gathers host candidates on
// the loopback interface only, with no mDNS: no packet leaves the machine.
func loopbackPeer(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// signaler plays the browser's part: it sends a peer connection's
// candidates through the hub and applies what the other side relays.
type signaler struct {
	t          *testing.T
	pc         *webrtc.PeerConnection
	p          *peer
	to         uint64
	quit, done chan struct{}
	pending    []webrtc.ICECandidateInit // arrived before the remote description
	candidates int                       // relayed to this side
	stopOnce   sync.Once
}

func newSignaler(t *testing.T, pc *webrtc.PeerConnection, p *peer, to uint64) *signaler {
	s := &signaler{t: t, pc: pc, p: p, to: to, quit: make(chan struct{}), done: make(chan struct{})}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			s.send(models.MethodCandidate, c.ToJSON())
		}
	})
	t.Cleanup(s.stop)
	return s
}

// send may run on pion's goroutines: errors are reported, not fatal.
func (s *signaler) send(method string, data any) {
	b, _ := json.Marshal(map[string]any{"method": method, "toId": s.to, "data": data})
	if err := s.p.write(b); err != nil {
		select {
		case <-s.quit: // closing: late candidates have nowhere to go
		default:
			s.t.Errorf("user %d %s: %v", s.p.id, method, err)
		}
	}
}

func (s *signaler) stop() {
	s.stopOnce.Do(func() { close(s.quit) })
	<-s.done
}

func (s *signaler) run() {
	defer close(s.done)
	for {
		select {
		case env := <-s.p.in:
			if err := s.handle(env); err != nil {
				s.t.Errorf("user %d handling %d: %v", s.p.id, env.Code, err)
			}
		case <-s.quit:
			return
		case <-time.After(wait):
			s.t.Errorf("user %d: no signaling for %v", s.p.id, wait)
			return
		}
	}
}

func (s *signaler) handle(env envelope) error {
	var relay struct {
		FromID uint64          `json:"fromId"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(env.Data, &relay); err != nil || relay.FromID != s.to {
		return err
	}
	switch env.Code {
	case models.CodeOffer:
		return s.answer(relay.Data)
	case models.CodeAnswer:
		var sd webrtc.SessionDescription
		if err := json.Unmarshal(relay.Data, &sd); err != nil {
			return err
		}
		return s.remote(sd)
	case models.CodeCandidate:
		s.candidates++
		var c webrtc.ICECandidateInit
		if err := json.Unmarshal(relay.Data, &c); err != nil {
			return err
		}
		if s.pc.RemoteDescription() == nil {
			s.pending = append(s.pending, c)
			return nil
		}
		return s.pc.AddICECandidate(c)
	}
	return nil
}

func (s *signaler) answer(data json.RawMessage) error {
	var offer webrtc.SessionDescription
	if err := json.Unmarshal(data, &offer); err != nil {
		return err
	}
	if err := s.remote(offer); err != nil {
		return err
	}
	answer, err := s.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	if err := s.pc.SetLocalDescription(answer); err != nil {
		return err
	}
	s.send(models.MethodAnswer, answer)
	return nil
}

// remote sets the remote description and adds the candidates that came
// before it.
func (s *signaler) remote(sd webrtc.SessionDescription) error {
	if err := s.pc.SetRemoteDescription(sd); err != nil {
		return err
	}
	for _, c := range s.pending {
		if err := s.pc.AddICECandidate(c); err != nil {
			return err
		}
	}
	s.pending = nil
	return nil
}

func expectText(t *testing.T, ch chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Errorf("data channel gave %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no %q over the data channel", want)
	}
}
