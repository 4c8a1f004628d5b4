package metrics

import (
	"database/sql"
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
