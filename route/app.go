package route

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"callapp/config"
	"callapp/controllers"
	"callapp/controllers/cluster"
	"callapp/controllers/ice"
	"callapp/controllers/metrics"
	"callapp/controllers/signal"
	"callapp/dao"
	"callapp/dao/password"
	"callapp/models"
)

// App is the whole server but its listener: what main serves and what the
// tests serve on httptest.
type App struct {
	Handler  http.Handler
	Hub      *signal.Hub       // the signaling hub behind /webrtc/wss
	Cluster  *cluster.Redis    // the other nodes, through Redis; nil on one node
	Relay    *ice.Server       // the embedded TURN server; nil when not embedded
	ICE      *ice.Provider     // the STUN/TURN servers browsers are handed
	Sessions *dao.Sessions     // for the expired-session sweep
	Metrics  *metrics.Registry // what GET /metrics shows
	// Close stops the hub (its call records go to the database first) and
	// then the relay. The database is the caller's to close, after Close.
	Close func()
}

// Option changes how Create builds the app, beyond the configuration.
type Option func(*build)

// build is what Create works from.
type build struct {
	metrics *metrics.Registry
	hub     func(*signal.Options)
}

// WithMetrics makes the app count into reg, which the caller also gave the
// database's query hook; without it the app has a registry of its own.
func WithMetrics(reg *metrics.Registry) Option {
	return func(b *build) { b.metrics = reg }
}

// WithHub changes the hub's options after the configuration filled them:
// tests shorten timings that are not settings.
func WithHub(tweak func(*signal.Options)) Option {
	return func(b *build) { b.hub = tweak }
}

// Create builds the app from cfg over db, which it does not close: the
// password hasher, the ICE setup (the embedded TURN server, started, when
// configured), the hub, the accounts and sessions, the metrics and the
// router with the front end from assets (www/ and static/). cfg must be
// valid and hold its secrets (config.Load, Config.FillSecrets).
func Create(cfg *config.Config, db *dao.DAO, log *slog.Logger, assets fs.FS, opts ...Option) (*App, error) {
	b := build{}
	for _, o := range opts {
		o(&b)
	}
	if b.metrics == nil {
		b.metrics = metrics.New()
	}
	hasher, err := password.New(cfg.BcryptCost, cfg.BcryptParallel, password.MaxWaiting(cfg.BcryptMaxWaiting))
	if err != nil {
		return nil, err
	}
	iceOpts := iceOptions(cfg, log, db)
	relay, provider, err := ice.Start(iceOpts)
	if err != nil {
		return nil, err
	}
	origin := controllers.NewOriginPolicy(cfg)
	hubOpts := signal.FromConfig(cfg)
	hubOpts.CheckOrigin, hubOpts.ICEServers = origin.Allowed, provider.ICEServers
	hubOpts.Logger, hubOpts.ObserveRelay = log, b.metrics.ObserveRelay
	hubOpts.ObserveSetup = b.metrics.ObserveSetup
	var cl *cluster.Redis
	if cfg.Clustered() {
		cl, err = cluster.New(cluster.Options{
			URL: cfg.RedisURL, Prefix: cfg.RedisPrefix, Timeout: cfg.RedisTimeout,
			OfflineBound: cfg.ClusterOfflineBound, Name: cfg.NodeID, Logger: log,
		})
		if err != nil {
			_ = relay.Close()
			return nil, err
		}
		hubOpts.Cluster = cl
	}
	if b.hub != nil {
		b.hub(&hubOpts)
	}
	hub := signal.New(hubOpts, db)
	if err := joinCluster(cfg, db, hub, log); err != nil {
		hub.Close()
		_ = relay.Close()
		return nil, err
	}
	app := &App{
		Hub: hub, Cluster: cl, Relay: relay, ICE: provider, Metrics: b.metrics,
		Sessions: dao.NewSessions(db, cfg.SessionKey, cfg.SessionTTL),
		Close:    func() { hub.Close(); _ = relay.Close() },
	}
	app.Handler, err = newRouter(deps{
		Config: cfg, Log: log, DB: db, Sessions: app.Sessions, Origin: origin,
		Accounts: dao.NewAccounts(db, hasher, cfg.AdminUsernames), Assets: assets,
		ICE: provider, ICEMode: iceOpts.Mode(), Relay: relay, Hub: hub, Metrics: b.metrics, Cluster: clusterOf(cl),
	})
	if err != nil {
		app.Close()
		return nil, err
	}
	return app, nil
}

// joinTimeout bounds joining a cluster: replaying its log so far.
const joinTimeout = 2 * time.Minute

// joinCluster joins the hub's cluster, if it has one, and takes over the
// calls the last run left going on if no other node runs: on one node at
// every start, in a cluster when this node began its log.
func joinCluster(cfg *config.Config, db *dao.DAO, hub *signal.Hub, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
	defer cancel()
	fresh, err := hub.JoinCluster(ctx)
	if err != nil {
		return fmt.Errorf("route: join the cluster through Redis: %w", err)
	}
	if !cfg.Clustered() || fresh {
		takeOverCalls(cfg, db, hub, log)
	}
	return nil
}

// Kill stops the app as SIGKILL would stop its process, for tests of the
// other nodes finding out: its Redis connections and sockets drop without
// a word. It then releases what the app holds.
func (a *App) Kill() {
	if a.Cluster != nil {
		a.Cluster.Abandon()
	}
	a.Hub.Abandon()
	a.Close()
}

// iceOptions is the ICE setup cfg asks for; the embedded server refuses
// the accounts users lists as disabled.
func iceOptions(cfg *config.Config, log *slog.Logger, users ice.DisabledUsers) ice.Options {
	return ice.Options{
		Embedded: cfg.TURNEmbedded(),
		Server: ice.ServerOptions{
			Listen: cfg.TURNListenAddr(), PublicIP: net.ParseIP(cfg.TURNPublicIP), Realm: cfg.TURNRealm,
			Secret: cfg.TURNSecret, RelayPortMin: cfg.TURNRelayPortMin, RelayPortMax: cfg.TURNRelayPortMax,
			Policy:         ice.PeerPolicy{AllowPrivate: cfg.TURNAllowPrivate, AllowLoopback: cfg.TURNAllowLoopback},
			MaxAllocations: cfg.TURNMaxAllocations, MaxAllocationsPerUser: cfg.TURNMaxAllocationsPerUser,
			AllocationKbps: cfg.TURNAllocationKbps, Users: users, Log: log,
		},
		Provider: ice.ProviderOptions{
			Secret: cfg.TURNSecret, TTL: cfg.TURNCredentialTTL, STUNURLs: cfg.STUNURLs, TURNURLs: cfg.TURNURLs,
		},
	}
}

// takeOverCalls gives the calls the last run left going on (a restart,
// graceful or not) the resume grace, and closes the rest as
// server_restart, before the hub can start new calls. A call counts as
// going on if the last run knew it so within a heartbeat and a grace:
// older ones, nobody is waiting for. A failure is logged, not fatal: the
// calls stay open until the next start.
func takeOverCalls(cfg *config.Config, db *dao.DAO, hub *signal.Hub, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*cfg.DBTimeout)
	defer cancel()
	since := time.Now().Add(-(cfg.CallHeartbeat + cfg.CallResumeGrace))
	n, err := db.CloseCallsLeftOpen(ctx, since)
	switch {
	case err != nil:
		log.Error("closing calls left open by the last run", "err", err)
		return
	case n > 0:
		log.Warn("closed calls left open by the last run", "calls", n, "reason", models.CallServerRestart)
	}
	calls, err := db.CallsToResume(ctx, since)
	if err != nil || len(calls) == 0 {
		if err != nil {
			log.Error("loading the calls the last run left going on", "err", err)
		}
		return
	}
	ids := make([]uint64, 0, 2*len(calls))
	for _, c := range calls {
		ids = append(ids, c.CallerID, c.CalleeID)
	}
	names, err := db.UsernamesByID(ctx, ids)
	if err != nil {
		log.Error("loading the calls the last run left going on", "err", err)
		return
	}
	restored := make([]signal.RestoredCall, 0, len(calls))
	for _, c := range calls {
		alive := *c.AnsweredAt
		if c.AliveAt != nil && c.AliveAt.After(alive) {
			alive = *c.AliveAt
		}
		restored = append(restored, signal.RestoredCall{
			ID:         c.ID,
			Caller:     models.UserBrief{ID: c.CallerID, Username: names[c.CallerID]},
			Callee:     models.UserBrief{ID: c.CalleeID, Username: names[c.CalleeID]},
			AnsweredAt: *c.AnsweredAt, AliveAt: alive, Quality: c.Quality(),
		})
	}
	for _, rc := range hub.Restore(restored) {
		if err := db.MarkCallEnded(ctx, rc.ID, rc.AliveAt, models.CallServerRestart); err != nil {
			log.Error("closing a call the last run left open", "call", rc.ID, "err", err)
		}
	}
	log.Info("calls of the last run wait for their parties", "calls", len(restored), "grace", cfg.CallResumeGrace)
}
