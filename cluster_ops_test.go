package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"callapp/controllers"
	"callapp/dao"
	"callapp/models"
)

// TestClusterOpsSurfaces: /healthz, the admin API and /metrics of a node
// show every node's figures as they last reported them, and the sums.
func TestClusterOpsSurfaces(t *testing.T) {
	noLeaks(t)
	nodes := startNodes(t, 2, dao.DriverSQLite)
	admin := register(t, nodes[0], "admin") // the first account
	alice, bob := register(t, nodes[0], "alice"), register(t, nodes[1], "bob")
	alice.connect(nodes[0].URL, false)
	bob.connect(nodes[1].URL, false)
	answerCall(t, alice, bob)

	for i, node := range nodes {
		if h := waitHealth(t, node, http.StatusOK); h.Msg != "ok" || h.Redis == nil || !h.Redis.Up || h.Redis.Since.IsZero() {
			t.Errorf("node %d's /healthz: %+v", i+1, h)
		}
	}
	// Each node reports at its beat: wait for the figures of the call.
	var st controllers.ClusterStatus
	for deadline := time.Now().Add(clusterWait); ; time.Sleep(100 * time.Millisecond) {
		nodes[1].Get(admin.http, "/webrtc/api/admin/cluster", &st)
		if st.Totals == (controllers.NodeTotals{Nodes: 2, Conns: 2, Online: 2, Calls: 1,
			MsgsIn: st.Totals.MsgsIn, MsgsOut: st.Totals.MsgsOut}) && st.Totals.MsgsIn >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("admin's cluster view: %+v", st)
		}
	}
	if !st.Clustered || st.Node != nodes[1].Cluster.Node() || st.Redis == nil || !st.Redis.Up ||
		len(st.Nodes) != 2 || st.Nodes[0].Name != "node1" || st.Nodes[1].Name != "node2" {
		t.Errorf("admin's cluster view: %+v", st)
	}
	for _, n := range st.Nodes {
		if n.Online != 1 || n.Conns != 1 || n.Reported.IsZero() || n.Started.IsZero() {
			t.Errorf("node %s: %+v, want one user", n.Name, n)
		}
	}

	code, body := scrapeAs(t, nodes[0], admin)
	if code != http.StatusOK {
		t.Fatalf("metrics: %d", code)
	}
	for _, line := range []string{
		"callapp_redis_up 1", "callapp_cluster_nodes 2",
		fmt.Sprintf(`callapp_node_online_users{name="node1",node=%q} 1`, nodes[0].Cluster.Node()),
		fmt.Sprintf(`callapp_node_online_users{name="node2",node=%q} 1`, nodes[1].Cluster.Node()),
	} {
		if !strings.Contains(body, "\n"+line+"\n") {
			t.Errorf("no %q in the metrics", line)
		}
	}
	if !strings.Contains(body, `callapp_node_calls{name="node1"`) {
		t.Errorf("no callapp_node_calls in the metrics")
	}
	alice.send(models.MethodOffer, bob.id, map[string]string{"type": "offer"})
	bob.expect(models.CodeOffer)
}
