package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"callapp/controllers/signal"
)

type fakeDB struct{ err error }

func (f fakeDB) Ping(context.Context) error { return f.err }

// fakeCluster is what the handlers ask of a signal.Cluster.
type fakeCluster struct {
	health signal.Health
	nodes  []signal.NodeStats
	err    error
}

func (f fakeCluster) Node() string                                      { return "b-2e" }
func (f fakeCluster) Health() signal.Health                             { return f.health }
func (f fakeCluster) Nodes(context.Context) ([]signal.NodeStats, error) { return f.nodes, f.err }

// answer is the JSON every API answers with, data kept raw.
type answer struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Reason  string          `json:"reason"`
	Data    json.RawMessage `json:"data"`
}

func get(t *testing.T, h http.Handler, path string) (int, answer) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
	var a answer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("GET %s: %d %q: %v", path, w.Code, w.Body, err)
	}
	return w.Code, a
}

func TestHealthz(t *testing.T) {
	since := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	down := fakeCluster{health: signal.Health{Since: since, Reason: "redis unavailable: dial tcp 127.0.0.1:6379: connect: connection refused"}}
	cases := []struct {
		name    string
		db      error
		cl      clusterHealth
		status  int
		message string
		data    string
	}{
		{"one node", nil, nil, 200, "ok", ""},
		{"one node, database down", errors.New("refused"), nil, 503, "database unavailable", ""},
		{"a node of several", nil, fakeCluster{health: signal.Health{Up: true, Since: since}}, 200, "ok",
			`{"redis":{"up":true,"since":"2026-12-05T06:00:00Z"}}`},
		// Not what Redis answered, which names its address: anyone may read this.
		{"redis down", nil, down, 503, "redis unavailable",
			`{"redis":{"up":false,"since":"2026-12-05T06:00:00Z","reason":"redis unavailable"}}`},
		{"evicted", nil, fakeCluster{health: signal.Health{Since: since, Reason: "the other nodes declared this node gone; restart it"}}, 503,
			"redis unavailable: the other nodes declared this node gone; restart it",
			`{"redis":{"up":false,"since":"2026-12-05T06:00:00Z","reason":"the other nodes declared this node gone; restart it"}}`},
		{"the log lost", nil, fakeCluster{health: signal.Health{Since: since, Reason: "the log began again"}}, 503, "redis unavailable: the log began again",
			`{"redis":{"up":false,"since":"2026-12-05T06:00:00Z","reason":"the log began again"}}`},
		{"redis down without a reason", nil, fakeCluster{health: signal.Health{Since: since}}, 503, "redis unavailable: not reachable",
			`{"redis":{"up":false,"since":"2026-12-05T06:00:00Z","reason":"not reachable"}}`},
		// The database is checked first: its outage is the one reported.
		{"both down", errors.New("refused"), down, 503, "database unavailable", ""},
	}
	for _, c := range cases {
		r := handlerRouter()
		r.GET("/healthz", Health(fakeDB{c.db}, c.cl))
		status, a := get(t, r, "/healthz")
		wantCode, wantReason := 0, ""
		if c.status != 200 {
			wantCode, wantReason = 1, ReasonUnavailable
		}
		if status != c.status || a.Code != wantCode || a.Message != c.message || a.Reason != wantReason || string(a.Data) != c.data {
			t.Errorf("%s: %d %+v %s, want %d %q %q %s", c.name, status, a, a.Data, c.status, c.message, wantReason, c.data)
		}
	}
}

func TestClusterStatus(t *testing.T) {
	reported := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	nodes := []signal.NodeStats{
		{Node: "b-2e", Name: "b", Reported: reported, Conns: 5, Online: 4, Calls: 1, MsgsIn: 10, MsgsOut: 20, Relayed: 3},
		{Node: "a-1f", Name: "a", Reported: reported, Conns: 3, Online: 2, Calls: 1, MsgsIn: 1, MsgsOut: 2, Relayed: 4, Dropped: 1},
	}
	cases := []struct {
		name string
		cl   nodeLister
		want ClusterStatus
	}{
		{"one node", nil, ClusterStatus{Nodes: []signal.NodeStats{}}},
		{"two nodes", fakeCluster{health: signal.Health{Up: true}, nodes: nodes}, ClusterStatus{
			Clustered: true, Node: "b-2e", Redis: &RedisHealth{Up: true},
			Nodes:  []signal.NodeStats{nodes[1], nodes[0]}, // by name
			Totals: NodeTotals{Nodes: 2, Conns: 8, Online: 6, Calls: 2, MsgsIn: 11, MsgsOut: 22, Relayed: 7, Dropped: 1},
		}},
		{"redis down", fakeCluster{health: signal.Health{Reason: "connection refused"}, nodes: nodes}, ClusterStatus{
			Clustered: true, Node: "b-2e", Redis: &RedisHealth{Reason: "connection refused"}, Nodes: []signal.NodeStats{},
		}},
		{"listing fails", fakeCluster{health: signal.Health{Up: true}, err: errors.New("i/o timeout")}, ClusterStatus{
			Clustered: true, Node: "b-2e", Redis: &RedisHealth{Reason: "listing the nodes: i/o timeout"}, Nodes: []signal.NodeStats{},
		}},
	}
	for _, c := range cases {
		r := handlerRouter()
		r.GET("/cluster", (&ClusterHandler{Cluster: c.cl}).Get)
		status, a := get(t, r, "/cluster")
		want, _ := json.Marshal(c.want)
		if status != 200 || a.Code != 0 || string(a.Data) != string(want) {
			t.Errorf("%s: %d %s\nwant %s", c.name, status, a.Data, want)
		}
	}
}
