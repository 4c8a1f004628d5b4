package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callapp/controllers/signal"
)

var (
	redisUp       = desc("callapp_redis_up", "1 when this node reaches the Redis the nodes share, 0 while it does not.")
	clusterNodes  = desc("callapp_cluster_nodes", "Live nodes of the cluster, as Redis lists them (absent while Redis is down).")
	nodeConns     = desc("callapp_node_ws_connections", "Open signaling websockets, by node.", "node", "name")
	nodeOnline    = desc("callapp_node_online_users", "Users connected to the node.", "node", "name")
	nodeCalls     = desc("callapp_node_calls", "Calls ringing or going on that the node records (one node records each call).", "node", "name")
	nodeIn        = desc("callapp_node_messages_received_total", "Client messages the node read.", "node", "name")
	nodeOut       = desc("callapp_node_messages_sent_total", "Envelopes the node wrote.", "node", "name")
	nodeRelayed   = desc("callapp_node_relayed_total", "Offers, answers and candidates the node passed on.", "node", "name")
	nodeDropped   = desc("callapp_node_frames_dropped_total", "Frames to other nodes the node dropped.", "node", "name")
	nodeReportAge = desc("callapp_node_report_age_seconds", "Time since the node last reported its figures.", "node", "name")
)

var clusterDescs = []*prometheus.Desc{redisUp, clusterNodes, nodeConns, nodeOnline, nodeCalls, nodeIn, nodeOut,
	nodeRelayed, nodeDropped, nodeReportAge}

// scrapeWait bounds the Redis round trip of a scrape: Prometheus gives up
// after 10 s by default, and a Redis that does not answer must show as
// callapp_redis_up 0 before that.
const scrapeWait = 2 * time.Second

// collectCluster reports whether Redis answers, and each live node's
// figures as it last reported them, labelled with its id and its name.
func collectCluster(ch chan<- prometheus.Metric, cl interface {
	Health() signal.Health
	Nodes(ctx context.Context) ([]signal.NodeStats, error)
}) {
	if !cl.Health().Up {
		ch <- gauge(redisUp, 0)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeWait)
	defer cancel()
	nodes, err := cl.Nodes(ctx)
	if err != nil {
		ch <- gauge(redisUp, 0)
		return
	}
	ch <- gauge(redisUp, 1)
	ch <- gauge(clusterNodes, float64(len(nodes)))
	now := time.Now()
	for _, n := range nodes {
		ch <- gauge(nodeConns, float64(n.Conns), n.Node, n.Name)
		ch <- gauge(nodeOnline, float64(n.Online), n.Node, n.Name)
		ch <- gauge(nodeCalls, float64(n.Calls), n.Node, n.Name)
		ch <- counter(nodeIn, float64(n.MsgsIn), n.Node, n.Name)
		ch <- counter(nodeOut, float64(n.MsgsOut), n.Node, n.Name)
		ch <- counter(nodeRelayed, float64(n.Relayed), n.Node, n.Name)
		ch <- counter(nodeDropped, float64(n.Dropped), n.Node, n.Name)
		if !n.Reported.IsZero() {
			ch <- gauge(nodeReportAge, now.Sub(n.Reported).Seconds(), n.Node, n.Name)
		}
	}
}
