// Package metrics serves the server's Prometheus metrics. The components
// keep their own counters (the hub, the TURN relay, the database pool) and
// the collectors here read them at scrape time, so that the admin
// dashboard and /metrics show the same numbers; what only Prometheus shows
// (latency histograms, logins) comes in through small hooks. No other
// package imports Prometheus.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every metric of the server.
type Registry struct {
	reg     *prometheus.Registry
	relay   prometheus.Histogram
	setup   prometheus.Histogram
	queries *prometheus.HistogramVec
	logins  *prometheus.CounterVec
}

// New returns a registry with the Go runtime and process metrics, the
// relay and query latency and call set-up histograms and the login counter.
func New() *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		relay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "callapp_relay_latency_seconds",
			Help: "Time a relayed offer, answer or candidate spent in the hub, from read to queued for its target.",
			// 10 us to 0.25 s: the hub's share of the load tool's end-to-end latency.
			Buckets: prometheus.ExponentialBuckets(10e-6, 2.5, 12),
		}),
		setup: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "callapp_call_setup_seconds",
			Help: "Calls' set-up time, from the invite to the first decoded frame, as their pages reported it.",
			// 50 ms to about 25 s: a call up at once on a LAN to one that barely made it through a relay.
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 10),
		}),
		queries: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "callapp_db_query_duration_seconds",
			Help:    "Database statements by operation (create, query, update, delete, row, raw).",
			Buckets: prometheus.ExponentialBuckets(100e-6, 3, 11), // 0.1 ms to 6 s
		}, []string{"op"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callapp_logins_total",
			Help: "Login attempts by result: ok, failed (wrong name or password), throttled (429), disabled.",
		}, []string{"result"}),
	}
	for _, result := range []string{"ok", "failed", "throttled", "disabled"} {
		r.logins.WithLabelValues(result) // present at 0 from the start
	}
	r.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.relay, r.setup, r.queries, r.logins,
	)
	return r
}

// ObserveRelay records one relay's time in the hub (signal.Options).
func (r *Registry) ObserveRelay(d time.Duration) { r.relay.Observe(d.Seconds()) }

// ObserveSetup records one call's set-up time (signal.Options).
func (r *Registry) ObserveSetup(d time.Duration) { r.setup.Observe(d.Seconds()) }

// ObserveQuery records one database statement (dao.Options).
func (r *Registry) ObserveQuery(op string, d time.Duration) {
	r.queries.WithLabelValues(op).Observe(d.Seconds())
}

// Login counts one login attempt by result (controllers.AuthHandler).
func (r *Registry) Login(result string) { r.logins.WithLabelValues(result).Inc() }

// Watch adds the collectors of the components in s; nil ones are left out.
func (r *Registry) Watch(s Sources) error {
	for _, c := range s.collectors() {
		if err := r.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Handler serves the metrics in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg})
}
