// Package route holds the whole URL space in one function, grouped by who
// may call it: public, logged-in user, admin, websocket.
package route

import (
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"callapp/config"
	"callapp/controllers"
	"callapp/controllers/assets"
	"callapp/controllers/cluster"
	"callapp/controllers/i18n"
	"callapp/controllers/ice"
	"callapp/controllers/metrics"
	"callapp/controllers/signal"
	"callapp/dao"
)

// deps is everything the routes are built from.
type deps struct {
	Config   *config.Config
	Log      *slog.Logger
	DB       *dao.DAO
	Accounts *dao.Accounts
	Sessions *dao.Sessions
	Origin   *controllers.OriginPolicy // the one policy of the pages and the websocket
	Assets   fs.FS                     // holds www/*.html and static/
	ICE      *ice.Provider             // STUN/TURN servers for browsers
	ICEMode  string                    // ice.Options.Mode, shown to admins
	Relay    *ice.Server               // the embedded TURN server, for its stats; nil when not embedded
	Hub      *signal.Hub               // the signaling hub behind /webrtc/wss
	Cluster  signal.Cluster            // the other nodes, through Redis; nil on one node
	Metrics  *metrics.Registry         // GET /metrics
}

// newRouter returns the router.
func newRouter(d deps) (*gin.Engine, error) {
	r := gin.New()
	// gin writes its trailing-slash redirects before any middleware runs:
	// they would skip the security headers and the host check.
	r.RedirectTrailingSlash = false
	if err := r.SetTrustedProxies(d.Config.TrustedProxies); err != nil {
		return nil, fmt.Errorf("route: trusted proxies: %w", err)
	}
	tmpl, err := template.New("").Delims("[[", "]]").ParseFS(d.Assets, "www/*.html")
	if err != nil {
		return nil, fmt.Errorf("route: templates: %w", err)
	}
	static, err := fs.Sub(d.Assets, "static")
	if err != nil {
		return nil, fmt.Errorf("route: static: %w", err)
	}
	files, err := assets.New(static, "/webrtc/static")
	if err != nil {
		return nil, err
	}

	m, err := watch(d)
	if err != nil {
		return nil, err
	}
	origin := d.Origin
	auth := &controllers.AuthHandler{
		Accounts: d.Accounts, Sessions: d.Sessions, Log: d.Log, Logins: m, Live: d.Hub,
		Throttle: controllers.NewThrottle(controllers.ThrottleLimits{
			PerPair: d.Config.LoginMaxUserFailures, PerAddress: d.Config.LoginMaxIPFailures, Window: d.Config.LoginWindow,
			SlowAfter: d.Config.LoginAccountSlowdownAfter, MaxDelay: d.Config.LoginAccountMaxDelay,
		}),
		RegistrationOpen: d.Config.RegistrationOpen, SecureCookie: d.Config.TLS() || d.Config.BehindHTTPS(),
	}
	words, err := i18n.Load(d.Assets, "static/i18n")
	if err != nil {
		return nil, err
	}
	pages := &controllers.Pages{RegistrationOpen: d.Config.RegistrationOpen, Words: words, Assets: files, Templates: tmpl}
	admin := &controllers.AdminHandler{Users: d.DB, Live: d.Hub, Relay: d.Relay}
	live := &controllers.LiveHandler{Hub: d.Hub, Chat: d.DB}
	calls := &controllers.CallsHandler{Calls: d.DB}
	messages := &controllers.MessagesHandler{Chat: d.DB}
	iceServers := &controllers.ICEHandler{Servers: d.ICE, Relay: d.Relay, Mode: d.ICEMode}
	nodes := &controllers.ClusterHandler{Cluster: d.Cluster} // a nil interface stays nil

	r.Use(controllers.SecurityHeaders(files.ScriptSource()), gin.Recovery(), requestLog(d.Log), controllers.ErrorRenderer(d.Log),
		controllers.LimitBody(d.Config.MaxBodyBytes), origin.Middleware())
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/webrtc/in") })
	r.GET("/healthz", controllers.Health(d.DB, hubHealth(d)))
	r.GET("/webrtc/static/*file", controllers.Static(files))
	r.HEAD("/webrtc/static/*file", controllers.Static(files))

	w := r.Group("/webrtc", controllers.Authenticate(d.Sessions))

	// Public.
	w.GET("/login", pages.Login)
	w.GET("/register", pages.Register)
	w.POST("/login", auth.Login)
	w.POST("/register", auth.Register)
	w.POST("/logout", auth.Logout)

	// Logged-in users.
	w.GET("/in", controllers.RequireUserPage, pages.Home)
	w.GET("/room/:name", controllers.RequireUserPage, pages.Room)
	w.GET("/live/:liveId", controllers.RequireUserPage, pages.Live)
	user := w.Group("/api", controllers.RequireUser)
	user.GET("/me", auth.Me)
	user.GET("/ice-servers", iceServers.Get)
	user.GET("/messages", messages.List)
	user.GET("/calls", calls.Mine)

	// Logged-in users, over the websocket (401/403 before the upgrade).
	w.GET("/wss", controllers.WebSocket(d.Hub, origin))

	// Admins.
	w.GET("/admin", pages.RequireAdmin, pages.Admin)
	adm := w.Group("/api/admin", controllers.RequireAdmin)
	adm.GET("/users", admin.ListUsers)
	adm.PATCH("/users/:id", admin.UpdateUser)
	adm.GET("/relay", iceServers.Status)
	adm.GET("/live", live.Get)
	adm.GET("/cluster", nodes.Get)
	adm.GET("/calls", calls.Recent)
	adm.GET("/calls/quality", calls.Quality)
	adm.DELETE("/messages/:id", live.DeleteMessage)

	// Operators: admins, or the addresses CALLAPP_METRICS allows; 404 when off.
	r.GET("/metrics", controllers.Authenticate(d.Sessions),
		controllers.MetricsGate(d.Config.MetricsAccess()), gin.WrapH(m.Handler()))

	// A browser gets a page (with a link home when logged in), others JSON.
	r.NoRoute(controllers.Authenticate(d.Sessions), pages.NotFound)
	return r, nil
}

// watch returns the metrics registry with the counters of the hub, the
// embedded TURN server (when there is one) and the database pool.
func watch(d deps) (*metrics.Registry, error) {
	m := d.Metrics
	var src metrics.Sources // typed nils left out: they would be scraped
	if d.Hub != nil {
		src.Hub = d.Hub
	}
	if d.Relay != nil {
		src.Relay = d.Relay
	}
	if d.DB != nil {
		src.Pool = d.DB
	}
	src.Cluster = d.Cluster // an interface already: nil on one node
	if err := m.Watch(src); err != nil {
		return nil, fmt.Errorf("route: metrics: %w", err)
	}
	return m, nil
}

// hubHealth is the cluster's health as /healthz tells it: the hub's view,
// which also knows whether the other nodes still count this one in; nil
// on one node.
func hubHealth(d deps) interface{ Health() signal.Health } {
	if d.Cluster == nil {
		return nil
	}
	return clusterHealth{d.Hub}
}

type clusterHealth struct{ hub *signal.Hub }

func (c clusterHealth) Health() signal.Health { return c.hub.ClusterHealth() }

// clusterOf is cl as the routes take it: a nil interface on one node, not
// an interface holding a nil pointer, which they would call.
func clusterOf(cl *cluster.Redis) signal.Cluster {
	if cl == nil {
		return nil
	}
	return cl
}

func requestLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		log.Debug("http", "method", c.Request.Method, "path", c.Request.URL.Path,
			"status", c.Writer.Status(), "duration", time.Since(start), "ip", c.ClientIP())
	}
}
