package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"callapp/config"
	"callapp/route/apptest"
)

// startServer runs the whole app on an httptest server with limits raised
// for load. It returns the base URL and the data folder (SQLite file and
// session key), which the tool reads to seed accounts.
func startServer(t *testing.T) (string, string) {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	dir := t.TempDir()
	a := apptest.Start(t, apptest.DataDir(dir), apptest.Config(func(c *config.Config) {
		c.BcryptParallel = 2
		c.WSMessageRate, c.WSMessageBurst = 100000, 100000
		c.ChatRate, c.ChatBurst, c.WSMaxPendingPerIP = 1000, 1000, 100000
		c.LiveMaxViewers = 100
	}))
	return a.URL, dir
}

// runTool runs the load tool with args and returns its JSON report.
func runTool(t *testing.T, args ...string) *Report {
	t.Helper()
	var out, errs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, append(args, "-json", "-timeout", "50s"), &out, &errs)
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d, report not JSON: %v\n%s\n%s", code, err, out.String(), errs.String())
	}
	if code != 0 || rep.Error != "" {
		t.Fatalf("exit %d, error %q\n%s", code, rep.Error, errs.String())
	}
	return &rep
}

func TestPairsOverHTTPAccounts(t *testing.T) {
	url, _ := startServer(t)
	args := []string{"-url", url, "-workload", "pairs", "-pairs", "2", "-rate", "200", "-duration", "300ms", "-concurrency", "4"}
	rep := runTool(t, args...)
	if rep.Accounts.Count != 4 || !strings.Contains(rep.Accounts.Via, "http") {
		t.Errorf("accounts: %+v", rep.Accounts)
	}
	st := rep.Pairs.Steps[0]
	if st.Sent != 60 || st.Received != st.Sent || st.Lost != 0 || st.Latency.Count != st.Sent || st.Latency.P99 <= 0 {
		t.Errorf("step: sent %d received %d lost %d latency %+v", st.Sent, st.Received, st.Lost, st.Latency)
	}
	if n := st.Events.ByCode[10009] + st.Events.ByCode[10010] + st.Events.ByCode[10011]; n != st.Received || len(st.Events.Errors) > 0 {
		t.Errorf("events: %+v", st.Events)
	}
	// A second run finds the accounts and logs them in.
	rep = runTool(t, args...)
	if rep.Accounts.Count != 4 || rep.Pairs.Steps[0].Lost != 0 {
		t.Errorf("rerun: accounts %+v, lost %d", rep.Accounts, rep.Pairs.Steps[0].Lost)
	}
}

func TestFindMaxSteps(t *testing.T) {
	url, dir := startServer(t)
	rep := runTool(t, "-url", url, "-data-dir", dir, "-bcrypt-cost", "4", "-pairs", "2", "-find-max", "-rate", "100", "-step", "2",
		"-max-rate", "200", "-duration", "200ms", "-step-pause", "10ms", "-runs", "2", "-p99", "2s")
	fm := rep.Pairs.FindMax
	if fm == nil || len(fm.Best) != 2 || fm.Median != 200 || len(rep.Pairs.Steps) != 4 {
		t.Fatalf("find-max: %+v, %d steps", fm, len(rep.Pairs.Steps))
	}
	for _, st := range rep.Pairs.Steps {
		if st.Verdict == nil || !st.Verdict.OK || st.Run == 0 {
			t.Errorf("step at %.0f/s: run %d verdict %+v", st.Offered, st.Run, st.Verdict)
		}
	}
}

func TestFanoutIdleChurnWithSeededAccounts(t *testing.T) {
	url, dir := startServer(t)
	rep := runTool(t, "-url", url, "-data-dir", dir, "-bcrypt-cost", "4", "-workload", "fanout", "-users", "5",
		"-interval", "20ms", "-duration", "200ms", "-settle", "50ms")
	if rep.Accounts.Via != "database users and sessions" {
		t.Errorf("accounts via %q", rep.Accounts.Via)
	}
	fr := rep.Fanout
	if fr.Messages != 10 || fr.Expected != 50 || fr.Delivered != 50 || fr.Latency.Count != 50 {
		t.Errorf("fanout: %+v", fr)
	}

	rep = runTool(t, "-url", url, "-data-dir", dir, "-bcrypt-cost", "4", "-workload", "idle", "-conns", "20",
		"-duration", "100ms", "-settle", "50ms", "-pid", strconv.Itoa(os.Getpid()))
	if rep.Open.Opened != 20 || rep.Idle.Conns != 20 || rep.Idle.DroppedHolding != 0 || rep.Idle.RSSAfter == 0 {
		t.Errorf("idle: open %+v idle %+v", rep.Open, rep.Idle)
	}

	rep = runTool(t, "-url", url, "-data-dir", dir, "-bcrypt-cost", "4", "-workload", "churn", "-pairs", "2", "-rate", "100",
		"-churn-users", "4", "-churn-rate", "40", "-churn-hold", "50ms", "-duration", "1s", "-login-flood", "1")
	cr := rep.Churn
	if cr.Connects < 5 || cr.Failed != 0 || cr.Presence == 0 || rep.Pairs.Steps[0].Lost != 0 {
		t.Errorf("churn: %+v, lost %d", cr, rep.Pairs.Steps[0].Lost)
	}
	if f := rep.Pairs.LoginFlood; f == nil || f.OK == 0 || f.Failed != 0 {
		t.Errorf("login flood: %+v", f)
	}
}

func TestRoomsRelayEveryMessage(t *testing.T) {
	url, dir := startServer(t)
	rep := runTool(t, "-url", url, "-data-dir", dir, "-bcrypt-cost", "4", "-workload", "rooms", "-rooms", "3",
		"-rate", "300", "-duration", "300ms")
	if rep.Open.Opened != 6 || rep.Rooms == nil || len(rep.Rooms.Steps) != 1 {
		t.Fatalf("rooms: open %+v report %+v", rep.Open, rep.Rooms)
	}
	st := rep.Rooms.Steps[0]
	if st.Sent != 90 || st.Received != st.Sent || st.Lost != 0 || st.Latency.Count != st.Sent || st.Latency.P99 <= 0 {
		t.Errorf("step: sent %d received %d lost %d latency %+v", st.Sent, st.Received, st.Lost, st.Latency)
	}
	if n := st.Events.ByCode[10009] + st.Events.ByCode[10010] + st.Events.ByCode[10011]; n != st.Received || len(st.Events.Errors) > 0 {
		t.Errorf("events: %+v", st.Events)
	}
}

func TestLiveViewersComeAndGo(t *testing.T) {
	url, dir := startServer(t)
	rep := runTool(t, "-url", url, "-data-dir", dir, "-bcrypt-cost", "4", "-workload", "live", "-viewers", "6",
		"-churn-rate", "6", "-churn-hold", "50ms", "-duration", "2500ms")
	lr := rep.Live
	if lr == nil || rep.Open.Opened != 7 {
		t.Fatalf("live: open %+v report %+v", rep.Open, lr)
	}
	// A viewer still watching when its turn comes again is skipped (a busy
	// machine makes visits longer): every turn is one or the other.
	if lr.Joins+lr.Skipped != 15 || lr.Joins < 6 || lr.Offers != lr.Joins || lr.Answers != lr.Joins || lr.Lost != 0 || lr.Full != 0 || lr.SendErrors != 0 {
		t.Errorf("joins %d skipped %d offers %d answers %d lost %d full %d send errors %d", lr.Joins, lr.Skipped, lr.Offers, lr.Answers, lr.Lost, lr.Full, lr.SendErrors)
	}
	if lr.WatchToOffer.Count != lr.Joins || lr.WatchToOffer.P50 <= 0 || lr.PerSecond <= 0 || lr.PerSecond > 7 {
		t.Errorf("watch to offer %+v, %.1f joins/s", lr.WatchToOffer, lr.PerSecond)
	}
	// The viewer count changes with every join and leave, several times a
	// second, but each viewer hears of it at most once a second: over the
	// window, its whole seconds and one more, and one the window's edge may
	// let in.
	perViewer, most := lr.Updates/int64(lr.Viewers), int64(lr.Window/time.Second)+2
	if perViewer < 2 || perViewer > most {
		t.Errorf("updates %d to %d viewers in %v: want 2 to %d each", lr.Updates, lr.Viewers, lr.Window, most)
	}
	if len(lr.Events.Errors) > 0 || lr.Events.Dropped != 0 {
		t.Errorf("events: %+v", lr.Events)
	}
}

func TestRefusesRemoteTargets(t *testing.T) {
	for _, args := range [][]string{
		{"-url", "http://192.0.2.10:8080"},
		{"-url", "http://127.0.0.1:8080", "-metrics-url", "http://192.0.2.10/metrics"},
		{"-url", "http://127.0.0.1:8080", "-db-driver", "mysql", "-create-db", "u:p@tcp(192.0.2.10:3306)/callapp"},
	} {
		if _, err := parseConfig(args, io.Discard); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%v: err = %v, want a loopback refusal", args, err)
		}
	}
	c, err := parseConfig([]string{"-url", "http://192.0.2.10:8080", "-allow-remote"}, io.Discard)
	if err != nil || !c.AllowRemote {
		t.Errorf("-allow-remote: %v", err)
	}
	for _, ok := range []string{"http://127.0.0.1:1", "http://[::1]:1", "http://localhost:1"} {
		if _, err := parseConfig([]string{"-url", ok}, io.Discard); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	c, err = parseConfig([]string{"-data-dir", "/srv/data"}, io.Discard)
	if err != nil || c.CreateDB != filepath.Join("/srv/data", "callapp.db") || c.SessionKeyFile != "/srv/data/session.key" {
		t.Errorf("-data-dir: %+v, %v", c, err)
	}
}

// TestPlacementOverTwoServers runs two servers on one database but no
// Redis: two nodes that do not know of each other. Pairs placed on one
// node each call and relay as on one server; placed across, the callee is
// offline where the caller is, which shows the tool did put them apart.
func TestPlacementOverTwoServers(t *testing.T) {
	url1, dir := startServer(t)
	url2 := startServerOn(t, dir)
	urls := url1 + "," + url2
	args := []string{"-url", urls, "-data-dir", dir, "-bcrypt-cost", "4", "-pairs", "4", "-rate", "400", "-duration", "300ms",
		"-pid", strconv.Itoa(os.Getpid()) + "," + strconv.Itoa(os.Getpid())}
	rep := runTool(t, append(args, "-placement", "same")...)
	st := rep.Pairs.Steps[0]
	if rep.Placement != "same" || !slices.Equal(rep.Open.PerNode, []int{4, 4}) || st.Sent != 120 || st.Received != st.Sent {
		t.Errorf("same: placement %q, per node %v, sent %d received %d", rep.Placement, rep.Open.PerNode, st.Sent, st.Received)
	}
	if n := st.Server.Nodes; len(n) != 2 || n[0].URL != url1 || n[1].URL != url2 || math.Abs(n[0].CPUSeconds+n[1].CPUSeconds-st.Server.CPUSeconds) > 1e-6 {
		t.Errorf("nodes: %+v, server %+v", n, st.Server)
	}

	var out bytes.Buffer
	code := run(context.Background(), append(args, "-placement", "cross", "-json", "-timeout", "50s", "-first-account", "9"), &out, io.Discard)
	var cross Report
	if err := json.Unmarshal(out.Bytes(), &cross); err != nil || code == 0 || !strings.Contains(cross.Error, "offline") {
		t.Errorf("cross over two unjoined servers: exit %d, error %q (%v); want the callee offline", code, cross.Error, err)
	}
}

// startServerOn runs a second server on the data folder of the first: the
// same SQLite file and secrets.
func startServerOn(t *testing.T, dir string) string {
	t.Helper()
	a := apptest.Start(t, apptest.DataDir(dir), apptest.Config(func(c *config.Config) {
		c.WSMessageRate, c.WSMessageBurst, c.WSMaxPendingPerIP = 100000, 100000, 100000
	}))
	return a.URL
}
