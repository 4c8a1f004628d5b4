package metrics

import (
	"context"
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"

	"callapp/controllers/ice"
	"callapp/controllers/signal"
)

// Sources are the components whose counters are read at each scrape.
type Sources struct {
	Hub   interface{ Counters() signal.Counters } // the signaling hub
	Relay interface{ Stats() ice.Stats }          // the embedded TURN server
	Pool  interface{ PoolStats() sql.DBStats }    // the database pool
	// Cluster is the other nodes, through Redis; nil on one node.
	Cluster interface {
		Health() signal.Health
		Nodes(ctx context.Context) ([]signal.NodeStats, error)
	}
}

func (s Sources) collectors() []prometheus.Collector {
	var cs []prometheus.Collector
	if s.Hub != nil {
		cs = append(cs, &gather{descs: hubDescs, collect: func(ch chan<- prometheus.Metric) { collectHub(ch, s.Hub.Counters()) }})
	}
	if s.Relay != nil {
		cs = append(cs, &gather{descs: relayDescs, collect: func(ch chan<- prometheus.Metric) { collectRelay(ch, s.Relay.Stats()) }})
	}
	if s.Pool != nil {
		cs = append(cs, &gather{descs: poolDescs, collect: func(ch chan<- prometheus.Metric) { collectPool(ch, s.Pool.PoolStats()) }})
	}
	if s.Cluster != nil {
		cs = append(cs, &gather{descs: clusterDescs, collect: func(ch chan<- prometheus.Metric) { collectCluster(ch, s.Cluster) }})
	}
	return cs
}

// gather is a collector that reads a component's counters at scrape time.
type gather struct {
	descs   []*prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

// Describe implements prometheus.Collector.
func (g *gather) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range g.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (g *gather) Collect(ch chan<- prometheus.Metric) { g.collect(ch) }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

// byLabel emits one counter per label of m.
func byLabel(ch chan<- prometheus.Metric, d *prometheus.Desc, m map[string]uint64) {
	for label, n := range m {
		ch <- counter(d, float64(n), label)
	}
}
