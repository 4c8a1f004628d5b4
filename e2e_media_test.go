package main

// Browser tests of a call's devices and media state (devices.js,
// devicepanel.js, callcontroller.js): the pre-call check (also reopened
// while the browser asks), switching the camera and the speaker mid-call,
// a camera lost mid-call, mute and camera-off shown on the other side,
// screen sharing, a call cancelled while the browser asks for the camera,
// and a camera the browser denies.

import (
	"context"
	"fmt"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// senderJS is what alice's call sends as video: the track's device, its
// label and size, with the local description (unchanged when no
// renegotiation happened).
const senderJS = `(() => {
  const pc = window.callapp.peer();
  const tr = pc?.getSenders().find((s) => s.track?.kind === 'video')?.track;
  const s = tr?.getSettings() || {};
  return { deviceId: s.deviceId || '', label: tr?.label || '', width: s.width || 0, sdp: pc?.localDescription?.sdp || '' };
})()`

type sender struct {
	DeviceID string `json:"deviceId"`
	Label    string `json:"label"`
	Width    int    `json:"width"`
	SDP      string `json:"sdp"`
}

func (p *page) sender() sender {
	p.t.Helper()
	var s sender
	if err := p.eval(senderJS, &s); err != nil {
		p.t.Fatalf("%s: reading the video sender: %v", p.name, err)
	}
	return s
}

// remoteWidthIs waits until the remote video is between min and max
// pixels wide and still decoding. A camera's video may be sent smaller
// when the machine is busy (a screen is not: its track asks to keep its
// detail), so a range tells the two apart.
func (p *page) remoteWidthIs(min, max int, what string) {
	p.t.Helper()
	p.waitFor(20*time.Second, what, fmt.Sprintf(`(w => w >= %d && w <= %d)(document.querySelector('#remote')?.videoWidth || 0)`, min, max))
	p.waitVideo()
}

func TestE2EMedia(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv()...)
	alice, bob := twoUsers(t, browser, app)

	// Before any call: the preview shows the camera, the meter moves with
	// the fake microphone's beeps, the pickers name both cameras, and the
	// test sound plays.
	t.Run("PreCallCheck", func(t *testing.T) {
		alice := alice.in(t)
		alice.click("#check-devices")
		alice.waitFor(20*time.Second, "the camera preview", `document.querySelector('#check-video')?.videoWidth > 0`)
		alice.waitFor(20*time.Second, "the microphone level above zero", `+document.querySelector('#mic-level')?.getAttribute('aria-valuenow') > 0`)
		alice.waitFor(20*time.Second, "the cameras named in the picker",
			`[...document.querySelectorAll('#pick-camera option')].filter((o) => o.value && o.textContent.startsWith('fake_device_')).length >= 2`)
		alice.waitFor(20*time.Second, "speakers in the picker", `document.querySelectorAll('#pick-speaker option').length > 1`)
		alice.click("#test-speaker")
		alice.waitFor(20*time.Second, "the test sound to play and end",
			`!document.querySelector('#test-speaker').disabled && !document.querySelector('#check-problem')`)
		alice.click("#check-devices")
		alice.waitFor(20*time.Second, "the check closed", `!document.querySelector('#device-check')`)
	})

	// A closes the check and opens it again while the browser still asks:
	// only the second opening's camera and microphone stay on, and none
	// once the check is closed.
	t.Run("CheckReopenedWhileAsking", func(t *testing.T) {
		alice := alice.in(t)
		var live []int
		if err := alice.eval(checkReopenedJS, &live); err != nil || len(live) != 2 || live[0] != 2 || live[1] != 0 {
			t.Fatalf("tracks live with the check open, then closed: %v, want [2 0] (%v)\n%s", live, err, alice.report())
		}
	})

	callWithVideo(alice, bob, nil)

	// A picks another camera mid-call (fake_device_2: the shared browser's
	// fake_device_1 is never encoded): the sender's track is the new
	// device, no offer was made, and B keeps decoding.
	t.Run("SwitchCamera", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		before := alice.sender()
		alice.click("#devices")
		var picked string
		if err := alice.eval(`(() => {
		  const s = document.querySelector('#pick-camera');
		  const o = [...s.options].find((o) => o.textContent === 'fake_device_2');
		  s.value = o.value;
		  s.dispatchEvent(new Event('change'));
		  return o.value;
		})()`, &picked); err != nil || picked == "" || picked == before.DeviceID {
			t.Fatalf("picking the other camera: %q %v\n%s", picked, err, alice.report())
		}
		alice.waitFor(20*time.Second, "the new camera sent", fmt.Sprintf(`(%s).deviceId === %q`, senderJS, picked))
		after := alice.sender()
		t.Logf("camera %s (%s) -> %s (%s)", before.Label, before.DeviceID[:8], after.Label, after.DeviceID[:8])
		if after.SDP != before.SDP {
			t.Errorf("switching the camera renegotiated (the local description changed)")
		}
		bob.waitVideo()
		alice.waitFor(20*time.Second, "the choice remembered",
			fmt.Sprintf(`JSON.parse(localStorage.getItem('callapp.devices')).videoinput === %q`, picked))
		alice.click("#devices")
	})

	// A picks a speaker mid-call, then the default again: the remote video
	// plays on each (sinkId '' is the default).
	t.Run("SwitchSpeaker", func(t *testing.T) {
		alice := alice.in(t)
		alice.click("#devices")
		var picked string
		if err := alice.eval(`(() => {
		  const s = document.querySelector('#pick-speaker');
		  const o = [...s.options].find((o) => o.value && o.value !== 'default');
		  s.value = o.value;
		  s.dispatchEvent(new Event('change'));
		  return o.value;
		})()`, &picked); err != nil || picked == "" {
			t.Fatalf("picking a speaker: %q %v\n%s", picked, err, alice.report())
		}
		alice.waitFor(20*time.Second, "the call on the picked speaker", fmt.Sprintf(`document.querySelector('#remote').sinkId === %q`, picked))
		alice.run(5*time.Second, "pick the default speaker", chromedp.Evaluate(`(() => {
		  const s = document.querySelector('#pick-speaker');
		  s.value = '';
		  s.dispatchEvent(new Event('change'));
		  return true;
		})()`, nil))
		alice.waitFor(20*time.Second, "the call on the default speaker", `document.querySelector('#remote').sinkId === ''`)
		alice.click("#devices")
	})

	// The camera A picks will not open, not even once hers is let go of
	// (a phone's camera busy elsewhere): she sends no video and shows her
	// camera off, and B sees her avatar. Free again, her camera toggle
	// brings it back.
	t.Run("CameraLost", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		alice.run(5*time.Second, "every camera busy", chromedp.Evaluate(busyCameraJS, nil))
		alice.click("#devices")
		alice.run(5*time.Second, "pick the camera again", chromedp.Evaluate(
			`document.querySelector('#pick-camera').dispatchEvent(new Event('change'))`, nil))
		alice.waitFor(20*time.Second, "the camera shown off and no video sent", `document.querySelector('#camera').getAttribute('aria-pressed') === 'true' &&
		  window.callapp.peer().getSenders().every((s) => s.track?.kind !== 'video')`)
		bob.waitFor(20*time.Second, "alice's avatar", `!!document.querySelector('#remote-avatar')?.getClientRects().length`)
		alice.run(5*time.Second, "the cameras free", chromedp.Evaluate(`delete navigator.mediaDevices.getUserMedia`, nil))
		alice.click("#devices")
		alice.click("#camera")
		bob.waitFor(20*time.Second, "the avatar gone", `!document.querySelector('#remote-avatar')`)
		bob.waitVideo()
	})

	// A mutes, then turns her camera off: B sees the muted icon, then the
	// avatar; A sees her avatar in the self-view. Back on, both go and
	// B decodes A's camera again.
	t.Run("MuteAndCameraOff", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		alice.click("#mute")
		alice.waitFor(20*time.Second, "the mute toggle pressed", `document.querySelector('#mute').getAttribute('aria-pressed') === 'true'`)
		bob.waitFor(20*time.Second, "alice's muted icon", `!!document.querySelector('#remote-muted')?.getClientRects().length`)
		alice.click("#camera")
		alice.waitFor(20*time.Second, "the self-view's avatar",
			`document.querySelector('#camera').getAttribute('aria-pressed') === 'true' && !!document.querySelector('#self-avatar')?.getClientRects().length`)
		bob.waitFor(20*time.Second, "alice's avatar", `!!document.querySelector('#remote-avatar')?.getClientRects().length`)
		bob.screenshot("call-peer-camera-off")
		alice.click("#mute")
		alice.click("#camera")
		bob.waitFor(20*time.Second, "the muted icon and the avatar gone", `!document.querySelector('#remote-muted') && !document.querySelector('#remote-avatar')`)
		bob.waitVideo()
	})

	// A shares her screen (the fake screen is 800 px wide, the cameras
	// 640): B decodes it, shown whole and said to be a screen; A stops,
	// and B gets her camera back.
	t.Run("ScreenShare", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		alice.click("#share")
		alice.waitFor(20*time.Second, "the screen sent", `(`+senderJS+`).label.startsWith('screen')`)
		bob.remoteWidthIs(800, 800, "alice's screen")
		bob.waitFor(20*time.Second, "the sharing badge and the video fitted",
			`!!document.querySelector('#remote-sharing') && getComputedStyle(document.querySelector('#remote')).objectFit === 'contain'`)
		alice.click("#share")
		bob.remoteWidthIs(1, 640, "alice's camera again")
		bob.waitFor(20*time.Second, "the sharing badge gone", `!document.querySelector('#remote-sharing')`)
	})

	bob.click("#hangup")
	alice.waitIdle()
	bob.waitIdle()

	// A calls, cancels while the browser still asks for her camera, and
	// calls again; the first ask is answered after the second. The second
	// call keeps its own camera and microphone, shown in the self-view,
	// and once it ends every track either ask opened is stopped.
	t.Run("CancelledWhileAsking", func(t *testing.T) {
		alice, bob := alice.in(t), bob.in(t)
		var r struct {
			Opened   int  `json:"opened"`
			SelfLive bool `json:"selfLive"`
			LeftLive int  `json:"leftLive"`
		}
		if err := alice.eval(cancelledWhileAskingJS, &r); err != nil {
			t.Fatalf("two calls, the first cancelled while asking: %v\n%s", err, alice.report())
		}
		if r.Opened < 4 || !r.SelfLive || r.LeftLive != 0 {
			t.Errorf("tracks opened %d, the second call's camera in the self-view %v, tracks left live %d; want 4 or more, true, 0",
				r.Opened, r.SelfLive, r.LeftLive)
		}
		alice.waitIdle()
		bob.waitIdle()
	})

	// The next call starts with the camera A picked.
	var remembered string
	if err := alice.eval(`JSON.parse(localStorage.getItem('callapp.devices')).videoinput`, &remembered); err != nil {
		t.Fatal(err)
	}
	bob.call("alice")
	alice.waitFor(20*time.Second, "the incoming call", `!!document.querySelector('#accept')`)
	alice.click("#accept")
	alice.waitFor(20*time.Second, "the remembered camera sent", fmt.Sprintf(`(%s).deviceId === %q`, senderJS, remembered))
	// Hang up once the call is connected: a click while the stage changes
	// from connecting may land where the button no longer is.
	alice.waitFor(20*time.Second, "the call connected", `document.querySelector('#call-state')?.dataset.state === 'connected'`)
	alice.click("#hangup")
	alice.waitIdle()
	bob.waitIdle()
}

// TestE2EMediaDenied: A's browser denies her camera. She is told which
// device and how to allow it, her camera toggle shows off, she still sees
// B, and B sees her avatar.
func TestE2EMediaDenied(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv()...)
	alice, bob := twoUsers(t, browser, app)
	alice.run(5*time.Second, "deny the camera in every new document", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := cdppage.AddScriptToEvaluateOnNewDocument(denyCameraJS).Do(ctx)
		return err
	}))
	alice.navigate("/webrtc/in")
	alice.waitHome()
	bob.waitFor(20*time.Second, "alice online again", `!!document.querySelector('#users li[data-user="alice"] .call-btn:not([disabled])')`)
	bob.call("alice")
	alice.waitFor(20*time.Second, "the incoming call", `!!document.querySelector('#accept')`)
	alice.click("#accept")
	alice.waitFor(20*time.Second, "the denied camera explained", `(() => {
	  const t = document.querySelector('#media-problem')?.textContent || '';
	  return t.includes('camera is blocked') && t.includes('address bar') && !!document.querySelector('#media-retry');
	})()`)
	alice.waitFor(20*time.Second, "the camera toggle off and the avatar in the self-view",
		`document.querySelector('#camera').getAttribute('aria-pressed') === 'true' && !!document.querySelector('#self-avatar')`)
	bob.waitFor(20*time.Second, "alice's avatar", `!!document.querySelector('#remote-avatar')?.getClientRects().length`)
	alice.waitVideo() // she still sees bob
	alice.screenshot("call-camera-denied")
	alice.click("#media-retry") // still denied: still said
	alice.waitFor(20*time.Second, "the problem still shown", `(document.querySelector('#media-problem')?.textContent || '').includes('camera is blocked')`)
	alice.click("#hangup")
	alice.waitIdle()
	bob.waitIdle()
}

// denyCameraJS makes getUserMedia refuse any request for video as a
// browser does when the user blocked the camera.
const denyCameraJS = `(() => {
  const md = navigator.mediaDevices;
  if (!md) return;
  const real = md.getUserMedia.bind(md);
  md.getUserMedia = (c) => (c && c.video ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) : real(c));
})();`

// busyCameraJS makes getUserMedia fail any request for video as a browser
// does when another program holds the camera.
const busyCameraJS = `(() => {
  const md = navigator.mediaDevices;
  const real = md.getUserMedia.bind(md);
  md.getUserMedia = (c) => (c && c.video ? Promise.reject(new DOMException('Could not start video source', 'NotReadableError')) : real(c));
})()`

// cancelledWhileAskingJS starts a call, cancels it while getUserMedia is
// held, starts another, then lets the first answer; it hangs up and says
// how many tracks were opened and how many are still live.
const cancelledWhileAskingJS = `(async () => {
  const md = navigator.mediaDevices;
  const real = md.getUserMedia.bind(md);
  const opened = [];
  let release;
  const held = new Promise((r) => { release = r; });
  let first = true;
  md.getUserMedia = async (c) => {
    const hold = first;
    first = false;
    const s = await real(c);
    opened.push(...s.getTracks());
    if (hold) await held;
    return s;
  };
  try {
    const vm = window.callapp.vm;
    const bob = vm.others.find((u) => u.username === 'bob');
    const one = vm.startCall(bob);
    await new Promise((r) => { setTimeout(r, 100); });
    vm.hangup();
    await vm.startCall(bob);
    release();
    await one;
    await vm.$nextTick();
    const selfLive = document.querySelector('#local')?.srcObject?.getVideoTracks()[0]?.readyState === 'live';
    vm.hangup();
    return { opened: opened.length, selfLive, leftLive: opened.filter((t) => t.readyState === 'live').length };
  } finally {
    delete md.getUserMedia;
  }
})()`

// checkReopenedJS opens the pre-call check, closes it and opens it again
// before the browser answers; it says how many of the tracks opened are
// live with the check open, then closed.
const checkReopenedJS = `(async () => {
  const md = navigator.mediaDevices;
  const real = md.getUserMedia.bind(md);
  const opened = [];
  md.getUserMedia = async (c) => {
    const s = await real(c);
    opened.push(...s.getTracks());
    return s;
  };
  const liveCount = () => opened.filter((t) => t.readyState === 'live').length;
  try {
    const vm = window.callapp.vm;
    const first = vm.toggleCheck();
    vm.toggleCheck();
    await Promise.all([first, vm.toggleCheck()]);
    const open = liveCount();
    vm.toggleCheck();
    return [open, liveCount()];
  } finally {
    delete md.getUserMedia;
  }
})()`
