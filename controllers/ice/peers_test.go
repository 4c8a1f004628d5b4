package ice_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	pionice "github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"callapp/controllers"
)

// TestTwoPeersCallThroughRelayOnly is the relay's proof: two logged-in
// users get credentials from the API, restrict ICE to relays and connect
// through the embedded server on loopback, once per TURN transport,
// moving data-channel messages and a video track.
func TestTwoPeersCallThroughRelayOnly(t *testing.T) {
	a, r := newApp(t)
	alice, bob := a.Register("alice"), a.Register("bob")
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			call(t, transport, a.rtcConfig(alice, transport), a.rtcConfig(bob, transport))
		})
	}
	logs := r.logs.String()
	if !strings.Contains(logs, `"turn relay opened" component=turn user=1 `) ||
		!strings.Contains(logs, `"turn relay opened" component=turn user=2 `) {
		t.Errorf("relays not opened under both users' ids:\n%s", logs)
	}
	if !strings.Contains(logs, "transport=udp") || !strings.Contains(logs, "transport=tcp") {
		t.Errorf("clients did not come over both listeners:\n%s", logs)
	}
	eventually(t, "the relays to close", func() bool { return r.Stats().Active == 0 })
}

// rtcConfig is the RTCConfiguration a page would build from the API's
// answer, keeping only the TURN URL of one transport and relays only.
func (a *app) rtcConfig(c *http.Client, transport string) webrtc.Configuration {
	var cfg controllers.ICEConfig
	a.get(c, "/webrtc/api/ice-servers", &cfg)
	out := webrtc.Configuration{ICETransportPolicy: webrtc.ICETransportPolicyRelay}
	for _, s := range cfg.ICEServers {
		for _, u := range s.URLs {
			if strings.HasSuffix(u, "?transport="+transport) {
				out.ICEServers = append(out.ICEServers, webrtc.ICEServer{
					URLs: []string{u}, Username: s.Username, Credential: s.Credential,
				})
			}
		}
	}
	if len(out.ICEServers) != 1 {
		a.t.Fatalf("no %s TURN URL in %+v", transport, cfg.ICEServers)
	}
	return out
}

// loopbackAPI keeps pion on loopback, so that tests send nothing off it, and takes
// relay candidates without pion's default 2 s wait for better ones.
func loopbackAPI(t *testing.T) *webrtc.API {
	var se webrtc.SettingEngine
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(pionice.MulticastDNSModeDisabled)
	se.SetRelayAcceptanceMinWait(0)
	se.LoggerFactory = quietPion
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(&me))
}

func newPeer(t *testing.T, cfg webrtc.Configuration) *webrtc.PeerConnection {
	t.Helper()
	pc, err := loopbackAPI(t).NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.GracefulClose() })
	return pc
}

// call connects caller and callee and checks that data and media flow
// over a relay-to-relay candidate pair reached over transport.
func call(t *testing.T, transport string, callerCfg, calleeCfg webrtc.Configuration) {
	caller, callee := newPeer(t, callerCfg), newPeer(t, calleeCfg)
	video := addVideo(t, caller)
	frames := receiveVideo(callee)
	echoed := pingPong(t, caller, callee)
	connect(t, caller, callee)

	stop := make(chan struct{})
	defer close(stop)
	go sendFrames(video, stop)
	select {
	case msg := <-echoed:
		if msg != "pong:ping" {
			t.Errorf("data channel echo %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no data-channel echo through the relay")
	}
	select {
	case <-frames:
	case <-time.After(10 * time.Second):
		t.Fatal("no video packet through the relay")
	}
	for name, pc := range map[string]*webrtc.PeerConnection{"caller": caller, "callee": callee} {
		pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
		if err != nil || pair == nil || pair.Local.Typ != webrtc.ICECandidateTypeRelay || pair.Remote.Typ != webrtc.ICECandidateTypeRelay {
			t.Errorf("%s: selected pair %v, %v; want relay to relay", name, pair, err)
		}
		locals := 0
		for _, st := range pc.GetStats() {
			if c, ok := st.(webrtc.ICECandidateStats); ok && c.Type == webrtc.StatsTypeLocalCandidate {
				if locals++; c.RelayProtocol != transport {
					t.Errorf("%s: local candidate reaches its relay over %q, want %s", name, c.RelayProtocol, transport)
				}
			}
		}
		if locals == 0 {
			t.Errorf("%s: no local candidate in the stats", name)
		}
	}
}

// connect does the offer/answer exchange with complete gathering, as the
// websocket would carry it.
func connect(t *testing.T, caller, callee *webrtc.PeerConnection) {
	t.Helper()
	describe := func(pc *webrtc.PeerConnection, create func(*webrtc.PeerConnection) (webrtc.SessionDescription, error)) webrtc.SessionDescription {
		sd, err := create(pc)
		if err != nil {
			t.Fatal(err)
		}
		gathered := webrtc.GatheringCompletePromise(pc)
		if err := pc.SetLocalDescription(sd); err != nil {
			t.Fatal(err)
		}
		<-gathered
		if sdp := pc.LocalDescription().SDP; !strings.Contains(sdp, "typ relay") || strings.Contains(sdp, "typ host") {
			t.Fatalf("relay-only description without relay candidates or with host ones:\n%s", sdp)
		}
		return *pc.LocalDescription()
	}
	offer := describe(caller, func(pc *webrtc.PeerConnection) (webrtc.SessionDescription, error) { return pc.CreateOffer(nil) })
	if err := callee.SetRemoteDescription(offer); err != nil {
		t.Fatal(err)
	}
	answer := describe(callee, func(pc *webrtc.PeerConnection) (webrtc.SessionDescription, error) { return pc.CreateAnswer(nil) })
	if err := caller.SetRemoteDescription(answer); err != nil {
		t.Fatal(err)
	}
}

// pingPong opens a data channel from caller; callee answers each message.
func pingPong(t *testing.T, caller, callee *webrtc.PeerConnection) <-chan string {
	t.Helper()
	callee.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnMessage(func(m webrtc.DataChannelMessage) { _ = dc.SendText("pong:" + string(m.Data)) })
	})
	dc, err := caller.CreateDataChannel("chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	echoed := make(chan string, 1)
	dc.OnOpen(func() { _ = dc.SendText("ping") })
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		select {
		case echoed <- string(m.Data):
		default:
		}
	})
	return echoed
}

func addVideo(t *testing.T, pc *webrtc.PeerConnection) *webrtc.TrackLocalStaticSample {
	t.Helper()
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "caller")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	return track
}

// receiveVideo reports the first RTP packet of the first remote track.
func receiveVideo(pc *webrtc.PeerConnection) <-chan struct{} {
	got := make(chan struct{}, 1)
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if _, _, err := track.ReadRTP(); err == nil {
			got <- struct{}{}
		}
	})
	return got
}

// sendFrames writes a dummy frame every 20 ms until stop: the relay moves
// RTP packets, it does not decode them.
func sendFrames(track *webrtc.TrackLocalStaticSample, stop <-chan struct{}) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	frame := make([]byte, 1200)
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			_ = track.WriteSample(media.Sample{Data: frame, Duration: 20 * time.Millisecond})
		}
	}
}
