package main

import (
	"encoding/json"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"callapp/controllers"
	"callapp/controllers/cluster/clustertest"
	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
	"callapp/route/apptest"
)

// TestClusterRedisOutage: with their Redis stopped, nodes say so
// (/healthz 503 saying so, the admin API with the reason, callapp_redis_up 0),
// refuse what needs the others (an invite: 10001 unavailable; a new
// websocket: 503) and keep relaying between two users of one node in a
// call; once Redis is back they recover by themselves.
func TestClusterRedisOutage(t *testing.T) {
	noLeaks(t)
	r := clustertest.OwnRedis(t)
	nodes := apptest.Nodes(t, 2, dao.DriverSQLite, r.URL(), "outage:")
	admin := register(t, nodes[0], "admin") // the first account
	alice, bob, carol, dave := register(t, nodes[0], "alice"), register(t, nodes[0], "bob"),
		register(t, nodes[1], "carol"), register(t, nodes[0], "dave")
	frank := register(t, nodes[0], "frank")
	for _, u := range []*nodeUser{alice, bob, dave, frank} {
		u.connect(nodes[0].URL, false)
	}
	carol.connect(nodes[1].URL, false)
	callID := answerCall(t, alice, bob)
	dave.waitStatus(carol.id, models.StatusOnline)
	carol.waitStatus(frank.id, models.StatusOnline)

	r.Stop()
	stopped := time.Now()
	for i, node := range nodes {
		h := waitHealth(t, node, http.StatusServiceUnavailable)
		// Not what Redis answered, with its address: anyone may read /healthz.
		if h.Msg != "redis unavailable" || h.Redis == nil || h.Redis.Up || h.Redis.Reason != "redis unavailable" {
			t.Errorf("node %d's /healthz: %+v", i+1, h)
		}
	}
	t.Logf("Redis stopped to both nodes' /healthz 503: %v", time.Since(stopped).Round(time.Millisecond))
	var st controllers.ClusterStatus
	nodes[0].Get(admin.http, "/webrtc/api/admin/cluster", &st)
	if !st.Clustered || st.Redis == nil || st.Redis.Up || st.Redis.Reason == "" || len(st.Nodes) != 0 {
		t.Errorf("admin's cluster view while Redis is down: %+v", st)
	}
	if _, body := scrapeAs(t, nodes[0], admin); !strings.Contains(body, "\ncallapp_redis_up 0\n") {
		t.Errorf("metrics while Redis is down: no callapp_redis_up 0")
	}

	dave.send(models.MethodInvite, carol.id, nil)
	dave.expectError(models.MethodInvite, models.ReasonUnavailable)
	dave.chat("lost in the outage")
	dave.expectError(models.MethodSendToAll, models.ReasonUnavailable)
	frank.ws.Close() // its leave waits for Redis
	relayed(t, alice, bob, models.MethodOffer, models.CodeOffer, `{"type":"offer","sdp":"v=0\r\n"}`)
	relayed(t, bob, alice, models.MethodAnswer, models.CodeAnswer, `{"type":"answer"}`)
	if res, err := admin.tab().dial(nodes[1].URL); err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Errorf("websocket upgrade while Redis is down: %d %v, want 503", status, err)
	}

	r.Start()
	started := time.Now()
	for i, node := range nodes {
		if h := waitHealth(t, node, http.StatusOK); h.Redis == nil || !h.Redis.Up {
			t.Errorf("node %d's /healthz after Redis came back: %+v", i+1, h)
		}
	}
	t.Logf("Redis started to both nodes' /healthz 200: %v", time.Since(started).Round(time.Millisecond))
	for deadline := time.Now().Add(clusterWait); ; time.Sleep(100 * time.Millisecond) { // listed again at their next beat
		nodes[0].Get(admin.http, "/webrtc/api/admin/cluster", &st)
		if st.Redis != nil && st.Redis.Up && st.Totals.Nodes == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("admin's cluster view once Redis is back: %+v", st)
		}
	}

	carol.waitStatus(frank.id, "") // the leave node 1 kept for Redis
	// A new call across nodes, and the old one on node 1 still going.
	eve := register(t, nodes[1], "eve")
	eve.connect(nodes[1].URL, false)
	crossID := answerCall(t, dave, carol)
	relayed(t, dave, carol, models.MethodOffer, models.CodeOffer, `{"type":"offer"}`)
	relayed(t, carol, dave, models.MethodAnswer, models.CodeAnswer, `{"type":"answer"}`)
	relayed(t, alice, bob, models.MethodCandidate, models.CodeCandidate, `{"candidate":"after"}`)
	eve.waitStatus(dave.id, models.StatusInCall)
	eve.waitStatus(alice.id, models.StatusInCall)
	dave.callMethod(models.MethodHangup, carol.id, crossID)
	carol.expect(models.CodeCallEnded)
	alice.callMethod(models.MethodHangup, bob.id, callID)
	bob.expect(models.CodeCallEnded)
	if row := endedCall(t, nodes[1].DB, crossID); row.EndReason != models.CallHangup {
		t.Errorf("cross-node call after the outage: %+v", row)
	}
	if row := endedCall(t, nodes[1].DB, callID); row.EndReason != models.CallHangup {
		t.Errorf("call that went through the outage: %+v", row)
	}
	var chat []models.ChatMessageView // refused, so not stored
	if nodes[1].Get(carol.http, "/webrtc/api/messages", &chat); len(chat) != 0 {
		t.Errorf("chat stored: %+v", chat)
	}
}

// health is a /healthz answer.
type health struct {
	Status int
	Msg    string
	Redis  *controllers.RedisHealth
}

// waitHealth polls node's /healthz until it answers status.
func waitHealth(t *testing.T, node *apptest.App, status int) health {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	var h health
	for deadline := time.Now().Add(clusterWait); ; time.Sleep(50 * time.Millisecond) {
		res, err := c.Get(node.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Message string                  `json:"message"`
			Data    *controllers.HealthView `json:"data"`
		}
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if err != nil {
			t.Fatalf("/healthz: %d: %v", res.StatusCode, err)
		}
		h = health{Status: res.StatusCode, Msg: body.Message}
		if body.Data != nil {
			h.Redis = &body.Data.Redis
		}
		if h.Status == status {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz still %+v after %v, want %d", h, clusterWait, status)
		}
	}
}

// scrapeAs gets node's /metrics as u.
func scrapeAs(t *testing.T, node *apptest.App, u *nodeUser) (int, string) {
	t.Helper()
	res, err := u.http.Get(node.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestClusterRedisCutOff: Redis out of reach (refused, or silent as behind
// a dead link) and back with its data: the nodes carry on the same log,
// with what was kept meanwhile (a socket that closed) appended then.
func TestClusterRedisCutOff(t *testing.T) {
	for _, mode := range []struct {
		name string
		mode daotest.Mode
	}{{"down", daotest.Down}, {"blackhole", daotest.Blackhole}} {
		t.Run(mode.name, func(t *testing.T) {
			noLeaks(t)
			url, prefix := clustertest.Redis(t)
			through, err := neturl.Parse(url)
			if err != nil {
				t.Fatal(err)
			}
			proxy := daotest.NewProxy(t, through.Host)
			through.Host = proxy.Addr()
			nodes := apptest.Nodes(t, 2, dao.DriverSQLite, through.String(), prefix)
			alice, bob, carol := register(t, nodes[0], "alice"), register(t, nodes[1], "bob"), register(t, nodes[1], "carol")
			dave, frank := register(t, nodes[0], "dave"), register(t, nodes[0], "frank")
			for _, u := range []*nodeUser{alice, dave, frank} {
				u.connect(nodes[0].URL, false)
			}
			bob.connect(nodes[1].URL, false)
			carol.connect(nodes[1].URL, false)
			callID := answerCall(t, alice, bob) // across nodes: relays go through Redis too
			carol.waitStatus(frank.id, models.StatusOnline)

			proxy.Set(mode.mode)
			cut := time.Now()
			for _, node := range nodes {
				waitHealth(t, node, http.StatusServiceUnavailable)
			}
			t.Logf("Redis cut off to both nodes' /healthz 503: %v", time.Since(cut).Round(time.Millisecond))
			dave.send(models.MethodInvite, carol.id, nil)
			dave.expectError(models.MethodInvite, models.ReasonUnavailable)
			frank.ws.Close()

			proxy.Set(daotest.Forward)
			back := time.Now()
			for _, node := range nodes {
				waitHealth(t, node, http.StatusOK)
			}
			t.Logf("Redis back to both nodes' /healthz 200: %v", time.Since(back).Round(time.Millisecond))
			for _, u := range []*nodeUser{dave, carol} {
				decides(t, u)
			}
			t.Logf("Redis back to both nodes deciding again: %v", time.Since(back).Round(time.Millisecond))
			if mode.mode == daotest.Blackhole {
				// Known limit: after a silent cut, a pooled connection it left
				// hanging can still cost a later request its REDIS_TIMEOUT and a
				// 10001 unavailable, at random, for a while (the nodes recover,
				// as above, but not every request at once); the rest of the
				// recovery is held to account in the "down" case.
				return
			}
			carol.waitStatus(frank.id, "")
			relayed(t, alice, bob, models.MethodOffer, models.CodeOffer, `{"type":"offer","iceRestart":true}`)
			relayed(t, bob, alice, models.MethodAnswer, models.CodeAnswer, `{"type":"answer"}`)
			id := answerCall(t, dave, carol)
			dave.callMethod(models.MethodHangup, carol.id, id)
			carol.expect(models.CodeCallEnded)
			alice.callMethod(models.MethodHangup, bob.id, callID)
			bob.expect(models.CodeCallEnded)
			if row := endedCall(t, nodes[0].DB, callID); row.EndReason != models.CallHangup {
				t.Errorf("call through the cut-off: %+v", row)
			}
		})
	}
}

// decides waits until u's node decides again after Redis came back: a
// connection the cut-off left hanging can still cost the first request
// after /healthz says 200 its REDIS_TIMEOUT and a 10001 unavailable. It
// has u join and leave a room of its own until the join goes through.
func decides(t *testing.T, u *nodeUser) {
	t.Helper()
	room := models.RoomRef{Room: "probe-" + u.name}
	for deadline := time.Now().Add(clusterWait); ; {
		u.send(models.MethodRoomJoin, 0, room)
		f := u.next()
		for u.presence(f) {
			f = u.next()
		}
		if f.Code == models.CodeRoomJoined {
			break
		}
		if got := decodeFrame[models.ErrorData](t, f); f.Code != models.CodeError || got.Reason != models.ReasonUnavailable || time.Now().After(deadline) {
			t.Fatalf("%s: joining a room after Redis came back: %d %s", u.name, f.Code, f.Data)
		}
		time.Sleep(100 * time.Millisecond)
	}
	u.send(models.MethodRoomLeave, 0, room)
	u.expect(models.CodeRoomLeft)
}
