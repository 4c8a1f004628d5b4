// Package apptest serves the whole app, as route.Create builds it for
// main, on a loopback httptest server: the one way tests get a full server.
// Options choose the database and change settings; the helpers every such
// test needs (browser-like clients, registration, JSON requests, a discard
// logger) live here once.
package apptest

import (
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"callapp/config"
	"callapp/controllers/signal"
	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/route"
)

// App is the app under test and the loopback server it is served on.
type App struct {
	*route.App
	URL    string           // the server's base URL, http://127.0.0.1:port
	Server *httptest.Server // its listener, for the port
	DB     *dao.DAO
	Config *config.Config // the settings it runs with, secrets filled
	t      testing.TB
}

// Option changes how Start builds the app.
type Option func(*setup)

type setup struct {
	driver  string
	db      *dao.DAO
	dbOpts  *dao.Options // a database other apps may share
	dataDir string
	log     *slog.Logger
	config  []func(*config.Config)
	route   []route.Option
}

// Driver runs the app on a fresh database of the driver (dao.DriverSQLite,
// the default, or dao.DriverMySQL).
func Driver(name string) Option { return func(s *setup) { s.driver = name } }

// DB runs the app on a database the test opened (and closes).
func DB(db *dao.DAO) Option { return func(s *setup) { s.db = db } }

// DataDir keeps the SQLite file and the generated secrets in dir, where
// the server would, for tools that read them; the database is closed when
// the test ends.
func DataDir(dir string) Option { return func(s *setup) { s.dataDir = dir } }

// Config changes the settings after the test defaults are applied; nil
// changes nothing.
func Config(tweak func(*config.Config)) Option {
	return func(s *setup) {
		if tweak != nil {
			s.config = append(s.config, tweak)
		}
	}
}

// Hub changes the hub's options after the settings filled them: timings
// that are not settings.
func Hub(tweak func(*signal.Options)) Option {
	return func(s *setup) { s.route = append(s.route, route.WithHub(tweak)) }
}

// Log gives the app a logger the test reads; the default discards.
func Log(l *slog.Logger) Option { return func(s *setup) { s.log = l } }

// Discard is a logger that writes nothing.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Start serves the app until the test ends. Test defaults, before the
// options: the cheapest bcrypt (what is tested is not bcrypt, and -race
// slows it a lot), no embedded TURN server (TURN_ENABLED turns it on, on
// loopback), and sockets of expired sessions closed within a test's
// patience.
func Start(t testing.TB, opts ...Option) *App {
	t.Helper()
	s := setup{driver: dao.DriverSQLite, log: Discard()}
	s.route = append(s.route, route.WithHub(func(o *signal.Options) { o.SessionCheck = 20 * time.Millisecond }))
	for _, o := range opts {
		o(&s)
	}
	cfg := s.settings(t)
	db := s.open(t, cfg)
	app, err := route.Create(cfg, db, s.log, os.DirFS(repoRoot()), s.route...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(func() {
		app.Close()
		srv.Close()
	})
	return &App{App: app, URL: srv.URL, Server: srv, DB: db, Config: cfg, t: t}
}

// settings are the test defaults, the test's changes and the secrets.
func (s *setup) settings(t testing.TB) *config.Config {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0" // where an embedded TURN server listens too
	cfg.DataDir = s.dataDir
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.BcryptCost, cfg.BcryptParallel = bcrypt.MinCost, 4
	cfg.TURNEnabled = false
	for _, tweak := range s.config {
		tweak(cfg)
	}
	if err := cfg.FillSecrets(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (s *setup) open(t testing.TB, cfg *config.Config) *dao.DAO {
	switch {
	case s.db != nil:
		return s.db
	case s.dbOpts != nil:
		return s.openShared(t)
	case s.dataDir == "":
		return daotest.Open(t, s.driver)
	}
	db, err := dao.Open(dao.Options{Driver: dao.DriverSQLite, DSN: cfg.SQLitePath(), Logger: s.log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// openShared opens a pool of the app's own on the database s.dbOpts
// names, and closes it when the test ends.
func (s *setup) openShared(t testing.TB) *dao.DAO {
	o := *s.dbOpts
	o.Logger = s.log
	db, err := dao.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// repoRoot is the folder holding www/ and static/, which main embeds.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
