package metrics

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"callapp/controllers/ice"
	"callapp/controllers/signal"
)

type fakeHub struct{}

func (fakeHub) Counters() signal.Counters {
	return signal.Counters{
		Stats: signal.Stats{OpenConnections: 3, OnlineUsers: 2, ActiveCalls: 1, Rooms: 10, RoomMembers: 11,
			LiveBroadcasts: 2, LiveViewers: 7, AwayUsers: 4},
		InByMethod:    map[string]uint64{"Message/Offer": 4},
		OutByMethod:   map[string]uint64{"Message/Offer": 4},
		CallsEnded:    map[string]uint64{"hangup": 2, "media_failed": 5},
		RecordsQueued: 6, RecordsDropped: 8,
		StatsSamples: 12, CallsRelayed: 3, CallsResumed: 4,
	}
}

type fakeRelay struct{}

func (fakeRelay) Stats() ice.Stats { return ice.Stats{Active: 5, Created: 9} }

type fakePool struct{}

func (fakePool) PoolStats() sql.DBStats { return sql.DBStats{OpenConnections: 1, WaitCount: 7} }

func TestScrapeReadsTheComponents(t *testing.T) {
	r := New()
	if err := r.Watch(Sources{Hub: fakeHub{}, Relay: fakeRelay{}, Pool: fakePool{}}); err != nil {
		t.Fatal(err)
	}
	r.ObserveRelay(300 * time.Microsecond)
	r.ObserveQuery("query", 2*time.Millisecond)
	r.Login("throttled")
	r.ObserveSetup(700 * time.Millisecond)
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(w.Body)
	for _, line := range []string{
		"callapp_ws_connections 3", "callapp_online_users 2", "callapp_calls_active 1", "callapp_live_broadcasts 2", "callapp_live_viewers 7",
		"callapp_away_users 4",
		`callapp_ws_messages_received_total{method="Message/Offer"} 4`,
		`callapp_calls_ended_total{reason="hangup"} 2`, `callapp_calls_ended_total{reason="media_failed"} 5`,
		"callapp_call_stats_samples_total 12", "callapp_calls_relayed_total 3", "callapp_calls_resumed_total 4",
		`callapp_call_setup_seconds_bucket{le="0.4"} 0`, `callapp_call_setup_seconds_bucket{le="0.8"} 1`,
		"callapp_call_setup_seconds_count 1",
		"callapp_call_records_queued 6", "callapp_call_records_dropped_total 8",
		"callapp_rooms 10", "callapp_room_members 11",
		"callapp_turn_allocations 5", "callapp_turn_allocations_total 9",
		"callapp_db_connections_open 1", "callapp_db_waits_total 7",
		"callapp_relay_latency_seconds_count 1", `callapp_db_query_duration_seconds_count{op="query"} 1`,
		`callapp_logins_total{result="throttled"} 1`, `callapp_logins_total{result="ok"} 0`,
	} {
		if !strings.Contains(string(body), "\n"+line+"\n") {
			t.Errorf("no %q in\n%s", line, body)
		}
	}
}

// fakeCluster is a signal.Cluster's health and node list.
type fakeCluster struct {
	health signal.Health
	nodes  []signal.NodeStats
	err    error
}

func (f fakeCluster) Health() signal.Health { return f.health }

func (f fakeCluster) Nodes(context.Context) ([]signal.NodeStats, error) { return f.nodes, f.err }

func scrapeBody(t *testing.T, s Sources) string {
	t.Helper()
	r := New()
	if err := r.Watch(s); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 {
		t.Fatalf("scrape: %d %s", w.Code, w.Body)
	}
	return w.Body.String()
}

func TestScrapeShowsEveryNode(t *testing.T) {
	cl := fakeCluster{health: signal.Health{Up: true}, nodes: []signal.NodeStats{
		{Node: "a-1f", Name: "a", Reported: time.Now(), Conns: 3, Online: 2, Calls: 1, MsgsIn: 40, MsgsOut: 50, Relayed: 7, Dropped: 1},
		{Node: "b-2e", Name: "b", Reported: time.Now(), Conns: 5, Online: 4},
	}}
	body := scrapeBody(t, Sources{Cluster: cl})
	for _, line := range []string{
		"callapp_redis_up 1", "callapp_cluster_nodes 2",
		`callapp_node_ws_connections{name="a",node="a-1f"} 3`, `callapp_node_ws_connections{name="b",node="b-2e"} 5`,
		`callapp_node_online_users{name="a",node="a-1f"} 2`, `callapp_node_calls{name="a",node="a-1f"} 1`,
		`callapp_node_messages_received_total{name="a",node="a-1f"} 40`, `callapp_node_messages_sent_total{name="a",node="a-1f"} 50`,
		`callapp_node_relayed_total{name="a",node="a-1f"} 7`, `callapp_node_frames_dropped_total{name="a",node="a-1f"} 1`,
	} {
		if !strings.Contains(body, "\n"+line+"\n") {
			t.Errorf("no %q in\n%s", line, body)
		}
	}
}

// TestScrapeWithRedisDown: a node that cannot reach Redis says so, and
// shows no node figures it cannot know.
func TestScrapeWithRedisDown(t *testing.T) {
	for name, cl := range map[string]fakeCluster{
		"health down":   {health: signal.Health{Reason: "dial tcp: connection refused"}},
		"listing fails": {health: signal.Health{Up: true}, err: errors.New("i/o timeout")},
	} {
		body := scrapeBody(t, Sources{Cluster: cl})
		if !strings.Contains(body, "\ncallapp_redis_up 0\n") || strings.Contains(body, "callapp_cluster_nodes") || strings.Contains(body, "callapp_node_") {
			t.Errorf("%s:\n%s", name, body)
		}
	}
}

// TestScrapeOfOneNode: without a cluster there are no cluster metrics.
func TestScrapeOfOneNode(t *testing.T) {
	if body := scrapeBody(t, Sources{Hub: fakeHub{}}); strings.Contains(body, "callapp_redis_up") || strings.Contains(body, "callapp_cluster_nodes") {
		t.Errorf("cluster metrics on one node:\n%s", body)
	}
}
