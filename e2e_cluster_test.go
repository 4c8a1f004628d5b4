package main

import (
	"path/filepath"
	"testing"
	"time"

	"callapp/controllers/cluster/clustertest"
	"callapp/route/apptest"
)

// TestE2EAdminNodes: on a node of two, the admin dashboard lists both
// nodes with their figures and the sums; with Redis stopped it says so in
// a banner, and once Redis is back the table returns by itself.
func TestE2EAdminNodes(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	r := clustertest.OwnRedis(t)
	dir := t.TempDir()
	node := func(name string) *server {
		return startApp(t, e2eEnv("CALLAPP_TURN_ENABLED=false", "CALLAPP_DB_DSN="+filepath.Join(dir, "callapp.db"),
			"CALLAPP_REDIS_URL="+r.URL(), "CALLAPP_REDIS_PREFIX=e2e:", "CALLAPP_NODE_ID="+name,
			"CALLAPP_CLUSTER_OFFLINE_BOUND=2s", "CALLAPP_SESSION_KEY="+apptest.ClusterSessionKey)...)
	}
	east, west := node("east"), node("west")
	dave := newPage(t, browser, east, "dave") // the first account: the admin
	dave.register(e2ePassword)
	bob := registerUser(t, west.addr, "bob")
	bob.connect(west.addr, false)

	// The dashboard keeps dave online (and callable) on east.
	dave.navigate("/webrtc/admin")
	dave.waitFor(20*time.Second, "both nodes in the dashboard, dave on east and bob on west", `(() => {
	  const rows = [...document.querySelectorAll('#nodes tr[data-node]')].map((tr) => [...tr.cells].map((c) => c.textContent.trim()));
	  const total = [...(document.querySelector('#nodes-total')?.cells || [])].map((c) => c.textContent.trim());
	  return rows.length === 2 && rows[0][0] === 'east (this one)' && rows[0][2] === '1' && rows[1][0] === 'west' && rows[1][2] === '1' &&
	    total[0] === 'All nodes' && total[2] === '2' && !document.querySelector('#redis-down');
	})()`)
	dave.screenshot("admin-nodes", "#nodes")

	r.Stop()
	dave.waitFor(20*time.Second, "the banner saying Redis is out of reach", `(() => {
	  const b = document.querySelector('#redis-down');
	  return !!b && b.textContent.includes('This node cannot reach Redis') &&
	    document.querySelector('#nodes').textContent.includes('No node listed');
	})()`)
	dave.screenshot("admin-redis-down", "#redis-down")

	r.Start()
	dave.waitFor(30*time.Second, "the banner gone and both nodes back", `!document.querySelector('#redis-down') &&
	  document.querySelectorAll('#nodes tr[data-node]').length === 2`)
}
