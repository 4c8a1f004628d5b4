package main

// The harness of the browser tests (e2e_test.go): a private network
// namespace, one shared headless Chromium and the app under test. The page
// type is in e2e_page_test.go.
//
// The browser and the app must only ever talk over loopback, so the test
// binary re-executes itself under `unshare -n` (the test must not send packets off loopback)
// and the browser tests refuse to start Chromium anywhere else.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/chromedp/chromedp"

	"callapp/route/apptest"
)

// netnsEnv marks a test binary that runs inside the namespace it made.
const netnsEnv = "CALLAPP_E2E_NETNS"

// netnsProblem says why this process is not inside a private network
// namespace; empty when it is.
var netnsProblem string

func TestMain(m *testing.M) {
	if os.Getenv(childServerEnv) != "" {
		os.Exit(runChildServer()) // main_restart_test.go
	}
	if code, ok := reexecInNetns(); ok {
		os.Exit(code)
	}
	stopBridges := func() {}
	if os.Getenv(netnsEnv) != "" { // Redis and MySQL, through the bridges (netns_bridge_test.go)
		var err error
		if stopBridges, err = bridgeIn(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	shared.close()
	stopBridges()
	os.Exit(code)
}

// reexecInNetns runs this test binary again in a new network namespace
// holding only loopback, when Chromium is there to need it and root can make
// one. ok reports that the child ran; code is its exit code.
func reexecInNetns() (code int, ok bool) {
	if os.Getenv(netnsEnv) != "" {
		return 0, false // we are the child
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		netnsProblem = "chromium is not installed"
		return 0, false
	}
	if os.Geteuid() != 0 {
		netnsProblem = "not root, so `unshare -n` cannot make a private network namespace"
		return 0, false
	}
	// A container may forbid new namespaces even to root, or lack ip: find
	// out before handing the whole run to a child that would fail at once.
	if out, err := exec.Command("unshare", "-n", "sh", "-c", "ip link set lo up").CombinedOutput(); err != nil {
		netnsProblem = fmt.Sprintf("`unshare -n` with `ip link set lo up` does not work here: %v %s", err, strings.TrimSpace(string(out)))
		return 0, false
	}
	exe, err := os.Executable()
	if err != nil {
		netnsProblem = err.Error()
		return 0, false
	}
	bridges, stopBridges, err := bridgeOut()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: bridging the shared services into the namespace:", err)
		return 1, true
	}
	defer stopBridges()
	args := append([]string{"-n", "sh", "-c", `ip link set lo up && exec "$0" "$@"`, exe}, os.Args[1:]...)
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1", bridges)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: starting the test binary under unshare:", err)
		return 1, true
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	signal.Stop(sigs)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), true
	case err != nil:
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1, true
	}
	return 0, true
}

// skipOrFail skips a test that lacks what it needs, except under CI=true,
// where a missing piece is a failure.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("fails instead of skipping under CI=true: "+format, args...)
	}
	t.Skipf("skipped: "+format, args...)
}

// requireBrowser returns the shared Chromium, after checking that this
// process sees no network but loopback.
func requireBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := exec.LookPath("chromium"); err != nil {
		skipOrFail(t, "browser test needs Debian's chromium, which is not installed (apt-get install chromium)")
	}
	if os.Getenv(netnsEnv) == "" {
		skipOrFail(t, "browser test needs a private network namespace, and this process is not inside one (%s): run the tests as root, with unshare and ip installed", netnsProblem)
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifaces {
		if i.Flags&net.FlagLoopback == 0 {
			t.Fatalf("refusing to start Chromium: interface %s is not loopback", i.Name)
		}
	}
	ctx, err := shared.get()
	if err != nil {
		t.Fatalf("starting chromium: %v\n%s", err, shared.out.String())
	}
	return ctx
}

// browserHost is the one Chromium process the browser tests share; each
// user gets a browser context of their own (separate cookies).
type browserHost struct {
	// gestureAudio leaves Chromium's own autoplay policy on: audio waits
	// for a user gesture, as in a browser people use. The shared browser
	// lets pages play at once, so that calls need no clicks to be heard.
	gestureAudio bool

	once   sync.Once
	ctx    context.Context
	cancel []context.CancelFunc
	dir    string
	out    apptest.LogBuffer
	err    error
}

var shared browserHost

func (b *browserHost) get() (context.Context, error) {
	b.once.Do(b.start)
	return b.ctx, b.err
}

func (b *browserHost) start() {
	b.dir, b.err = os.MkdirTemp("", "callapp-chromium-")
	if b.err != nil {
		return
	}
	path, _ := exec.LookPath("chromium")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(b.dir),
		chromedp.CombinedOutput(&b.out),
		chromedp.WindowSize(1280, 800),
	}
	// Flags that work as root with only loopback.
	for _, f := range []string{
		"no-sandbox", "disable-gpu", "use-fake-ui-for-media-stream",
		"allow-loopback-in-peer-connection", "disable-background-networking", "disable-component-update",
		"disable-sync", "no-first-run", "no-default-browser-check", "disable-dev-shm-usage",
	} {
		opts = append(opts, chromedp.Flag(f, true))
	}
	opts = append(opts,
		chromedp.Flag("headless", "new"),
		// Three fake cameras, for switching in a call: fake_device_0 (the
		// default, so other tests see no change, I420) and fake_device_2
		// (MJPEG) are sent; fake_device_1 gives Y16 depth frames, which
		// show in a <video> but are never encoded. The microphones and
		// speakers are three each anyway (docs/testing.md). Ten frames a
		// second (the default is 20) halve the video the browser encodes
		// and decodes, which is most of the suite's CPU.
		chromedp.Flag("use-fake-device-for-media-stream", "device-count=3,fps=10"),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"),
	)
	if !b.gestureAudio {
		opts = append(opts, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(alloc)
	b.ctx, b.cancel = ctx, []context.CancelFunc{cancelBrowser, cancelAlloc}
	// The first Run starts the browser and ties its process to the context
	// it is given, so it gets the long-lived one (chromedp gives up on its
	// own after 20 s without a DevTools URL).
	b.err = chromedp.Run(ctx)
}

func (b *browserHost) close() {
	for _, c := range b.cancel {
		c()
	}
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}

// e2eEnv is the environment of the app under a browser test: timings
// that leave a loaded machine time to act (a ring outlasts the slowest
// answer; a test of the ring timeout sets its own), then env.
func e2eEnv(env ...string) []string {
	return append([]string{"CALLAPP_CALL_RING_TIMEOUT=60s", "CALLAPP_WS_CONNECT_TIMEOUT=5s"}, env...)
}
