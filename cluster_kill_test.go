package main

import (
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"callapp/config"
	"callapp/controllers/cluster/clustertest"
	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
	"callapp/route/apptest"
)

// TestClusterNodeKilled: a node killed with SIGKILL, a process of its own,
// has its idle users reported offline on the other node within
// CLUSTER_OFFLINE_BOUND (its default); a user of it who held a call is
// away instead, and resumes the call on the other node.
func TestClusterNodeKilled(t *testing.T) {
	noLeaks(t)
	url, prefix := clustertest.Redis(t)
	db := daotest.Options(t, dao.DriverSQLite)
	bound := config.Default().ClusterOfflineBound
	a := apptest.Start(t, apptest.Database(db), apptest.Cluster(url, prefix, "survivor"),
		apptest.Config(func(c *config.Config) { c.ClusterOfflineBound = bound }))
	b := startChild(t, "CALLAPP_LISTEN=127.0.0.1:0", "CALLAPP_DATA_DIR="+t.TempDir(), "CALLAPP_TURN_ENABLED=false",
		"CALLAPP_DB_DRIVER=sqlite", "CALLAPP_DB_DSN="+db.DSN, "CALLAPP_SESSION_KEY="+apptest.ClusterSessionKey,
		"CALLAPP_REDIS_URL="+url, "CALLAPP_REDIS_PREFIX="+prefix, "CALLAPP_NODE_ID=victim")
	victim := "http://" + b.addr

	watcher, dave := register(t, a, "watcher"), register(t, a, "dave")
	idle1, idle2, carol := register(t, a, "idle1"), register(t, a, "idle2"), register(t, a, "carol")
	watcher.connect(a.URL, false)
	dave.connect(a.URL, false)
	for _, u := range []*nodeUser{idle1, idle2, carol} {
		u.connect(victim, false) // the session a's node issued works on b
	}
	for _, u := range []*nodeUser{idle1, idle2, carol} {
		watcher.waitStatus(u.id, models.StatusOnline)
	}
	callID := answerCall(t, carol, dave)
	watcher.waitStatus(carol.id, models.StatusInCall)

	killed := time.Now()
	b.stop(t, syscall.SIGKILL)
	gone := watcher.waitView("idle users offline", bound+5*time.Second, func(v map[uint64]string) bool {
		_, on1 := v[idle1.id]
		_, on2 := v[idle2.id]
		return !on1 && !on2
	})
	took := gone.Sub(killed)
	t.Logf("SIGKILL to the idle users offline on the other node: %v (bound %v)", took.Round(time.Millisecond), bound)
	if took > bound {
		t.Errorf("idle users offline after %v, over the bound %v", took, bound)
	}
	if watcher.view[carol.id] != models.StatusInCall {
		t.Errorf("carol, away within the grace, shows as %q", watcher.view[carol.id])
	}
	away := decodeFrame[models.PeerAway](t, dave.expect(models.CodePeerAway))
	if away.CallID != callID || away.FromID != carol.id || away.GraceSec <= 0 {
		t.Errorf("dave's 10040 = %+v", away)
	}

	back := carol.tab()
	back.connect(a.URL, true)
	if c := back.welcome.Call; c == nil || c.CallID != callID || c.PeerID != dave.id {
		t.Fatalf("carol's welcome on the other node: call %+v, want %s", c, callID)
	}
	if got := decodeFrame[models.PeerAway](t, dave.expect(models.CodePeerBack)); got != (models.PeerAway{CallID: callID, FromID: carol.id}) {
		t.Errorf("dave's 10041 = %+v", got)
	}
	relayed(t, back, dave, models.MethodOffer, models.CodeOffer, `{"type":"offer","fresh":true}`)
	relayed(t, dave, back, models.MethodAnswer, models.CodeAnswer, `{"type":"answer"}`)
	back.callMethod(models.MethodHangup, dave.id, callID)
	dave.expect(models.CodeCallEnded)
	if row := endedCall(t, a.DB, callID); row.EndReason != models.CallHangup || row.Resumes != 1 {
		t.Errorf("call record = %+v, want hung up after one resume", row)
	}
	if watcher.offline[carol.id] != 0 {
		t.Errorf("carol was said offline %d times", watcher.offline[carol.id])
	}
}

// TestClusterNodeKilledInProcess: a node killed in the test's process
// (App.Kill: no goodbye to Redis nor to its sockets) is gone for the two
// others within a short CLUSTER_OFFLINE_BOUND, and they agree on it.
func TestClusterNodeKilledInProcess(t *testing.T) {
	noLeaks(t)
	// The shortest bound holds with a fifth of it to spare (docs/cluster-plan.md):
	// too little for a loaded machine.
	const bound = 5 * time.Second
	nodes := startNodes(t, 3, dao.DriverSQLite, apptest.Config(func(c *config.Config) { c.ClusterOfflineBound = bound }))
	u1, u2, u3 := register(t, nodes[0], "ann"), register(t, nodes[1], "ben"), register(t, nodes[2], "cid")
	u1.connect(nodes[0].URL, false)
	u2.connect(nodes[1].URL, false)
	u3.connect(nodes[2].URL, false)
	u1.waitStatus(u3.id, models.StatusOnline)
	u2.waitStatus(u3.id, models.StatusOnline)

	killed := time.Now()
	nodes[2].Kill()
	for _, u := range []*nodeUser{u1, u2} {
		took := u.waitStatus(u3.id, "").Sub(killed)
		t.Logf("%s sees cid offline %v after the kill (bound %v)", u.name, took.Round(time.Millisecond), bound)
		if took > bound {
			t.Errorf("%s: cid offline after %v, over the bound %v", u.name, took, bound)
		}
	}
	if code := u3.closeCode(); code != websocket.CloseAbnormalClosure {
		t.Errorf("cid's socket on the killed node closed with %d, want none", code)
	}
	u1.quiet(300 * time.Millisecond)
	if u1.offline[u2.id] != 0 || u2.offline[u1.id] != 0 {
		t.Errorf("the living saw each other go: %v %v", u1.offline, u2.offline)
	}
}
