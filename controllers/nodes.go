package controllers

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"callapp/controllers/signal"
)

// nodeLister is what the admin dashboard asks of the cluster
// (signal.Cluster).
type nodeLister interface {
	Node() string
	Health() signal.Health
	Nodes(ctx context.Context) ([]signal.NodeStats, error)
}

// nodesWait bounds the Redis round trip of the node list: the dashboard
// polls, and a Redis that does not answer is shown as such.
const nodesWait = 2 * time.Second

// ClusterHandler serves the admin dashboard's view of the nodes.
type ClusterHandler struct {
	Cluster nodeLister // nil: one node
}

// ClusterStatus is the data of GET /api/admin/cluster.
type ClusterStatus struct {
	Clustered bool               `json:"clustered"`       // false: one node, the rest is empty
	Node      string             `json:"node,omitempty"`  // the node that answered (NodeStats.Node)
	Redis     *RedisHealth       `json:"redis,omitempty"` // whether this node reaches Redis
	Nodes     []signal.NodeStats `json:"nodes"`           // the live nodes, by name; empty while Redis is down
	Totals    NodeTotals         `json:"totals"`          // the sums of Nodes
}

// NodeTotals are the figures of every live node added up.
type NodeTotals struct {
	Nodes   int    `json:"nodes"`
	Conns   int64  `json:"conns"`
	Online  int64  `json:"online"`
	Calls   int64  `json:"calls"` // each call is recorded by one node: no call counts twice
	MsgsIn  uint64 `json:"msgsIn"`
	MsgsOut uint64 `json:"msgsOut"`
	Relayed uint64 `json:"relayed"`
	Dropped uint64 `json:"dropped"`
}

// Get answers GET /api/admin/cluster. A Redis that does not answer is no
// error of the request: the answer says it (redis.up false, with the
// reason) for the dashboard's banner.
func (h *ClusterHandler) Get(c *gin.Context) {
	if h.Cluster == nil {
		OK(c, http.StatusOK, "ok", ClusterStatus{Nodes: []signal.NodeStats{}})
		return
	}
	health := redisHealth(h.Cluster.Health())
	st := ClusterStatus{Clustered: true, Node: h.Cluster.Node(), Redis: &health, Nodes: []signal.NodeStats{}}
	if health.Up {
		ctx, cancel := context.WithTimeout(c.Request.Context(), nodesWait)
		defer cancel()
		nodes, err := h.Cluster.Nodes(ctx)
		if err != nil {
			health.Up, health.Reason = false, "listing the nodes: "+err.Error()
		} else {
			st.Nodes = sortedNodes(nodes)
		}
	}
	st.Totals = addUp(st.Nodes)
	OK(c, http.StatusOK, "ok", st)
}

// sortedNodes orders nodes by name, then id, so that rows keep their place
// between polls.
func sortedNodes(nodes []signal.NodeStats) []signal.NodeStats {
	out := append(make([]signal.NodeStats, 0, len(nodes)), nodes...)
	slices.SortFunc(out, func(a, b signal.NodeStats) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Node, b.Node))
	})
	return out
}

func addUp(nodes []signal.NodeStats) NodeTotals {
	t := NodeTotals{Nodes: len(nodes)}
	for _, n := range nodes {
		t.Conns += n.Conns
		t.Online += n.Online
		t.Calls += n.Calls
		t.MsgsIn += n.MsgsIn
		t.MsgsOut += n.MsgsOut
		t.Relayed += n.Relayed
		t.Dropped += n.Dropped
	}
	return t
}
