// Command callapp is a self-hosted video-calling server: accounts, a
// signaling websocket for WebRTC calls, group chat and an admin dashboard,
// all in one binary.
package main

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	ossignal "os/signal"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"callapp/config"
	"callapp/controllers/cluster"
	"callapp/controllers/metrics"
	"callapp/dao"
	"callapp/route"
)

// assets is the whole front end: templates in www/, scripts, styles and
// vendored libraries in static/.
//
//go:embed www static
var assets embed.FS

func main() {
	ctx, stop := ossignal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Environ(), os.Stderr, nil))
}

// run starts the server and blocks until ctx ends. ready, if not nil, gets
// the listening address once the server accepts connections.
func run(ctx context.Context, args, environ []string, stderr io.Writer, ready func(addr string)) int {
	flags := flag.NewFlagSet("callapp", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", lookup(environ, "CALLAPP_CONFIG"), "file of KEY=value settings")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(*configPath, environ)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log := newLogger(cfg, stderr)
	cluster.LogTo(log)
	if err := serve(ctx, cfg, log, ready); err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, ready func(string)) error {
	if err := cfg.FillSecrets(); err != nil {
		return err
	}
	log.Info("starting", "config", cfg.String())
	reg := metrics.New()
	db, err := openDB(cfg, log, reg)
	if err != nil {
		return err
	}
	defer db.Close()
	gin.SetMode(gin.ReleaseMode)
	app, err := route.Create(cfg, db, log, assets, route.WithMetrics(reg))
	if err != nil {
		return err
	}
	// The hub's call records go to the database: it closes first.
	defer app.Close()
	go sweepSessions(ctx, app.Sessions, log)
	return listen(ctx, cfg, log, app.Handler, ready, app.Hub.Close)
}

func openDB(cfg *config.Config, log *slog.Logger, reg *metrics.Registry) (*dao.DAO, error) {
	dsn := cfg.DBDSN
	if cfg.DBDriver == dao.DriverSQLite {
		dsn = cfg.SQLitePath()
	}
	return dao.Open(dao.Options{
		Driver: cfg.DBDriver, DSN: dsn, Logger: log,
		MaxOpenConns: cfg.DBMaxOpenConns, MaxIdleConns: cfg.DBMaxIdleConns, OnQuery: reg.ObserveQuery,
		Timeout: cfg.DBTimeout,
	})
}

// listen serves until ctx ends, then shuts down gracefully.
// onShutdown closes what the server hijacked (the websockets), which
// http.Server.Shutdown does not wait for.
func listen(ctx context.Context, cfg *config.Config, log *slog.Logger, h http.Handler, ready func(string), onShutdown func()) error {
	tlsConfig, err := cfg.TLSConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := httpServer(cfg, h, tlsConfig)
	srv.RegisterOnShutdown(onShutdown)
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	log.Info("listening", "url", scheme+"://"+ln.Addr().String()+"/webrtc/in")
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// httpServer bounds what one client can hold: idle keep-alive connections
// close, a request (body included) must arrive and its answer leave in
// time, and oversized headers get 431. Neither deadline cuts a handler
// still at work (net/http lifts the read deadline once the body is read)
// nor the websocket: hijacking the connection clears both, and the hub
// sets its own.
func httpServer(cfg *config.Config, h http.Handler, tlsConfig *tls.Config) *http.Server {
	return &http.Server{
		Handler: h, TLSConfig: tlsConfig, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: cfg.HTTPReadTimeout, WriteTimeout: cfg.HTTPWriteTimeout,
		IdleTimeout: cfg.HTTPIdleTimeout, MaxHeaderBytes: cfg.HTTPMaxHeaderBytes,
	}
}

// sweepSessions deletes expired sessions every hour.
func sweepSessions(ctx context.Context, s *dao.Sessions, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := s.DeleteExpired(ctx); err != nil && ctx.Err() == nil {
			log.Warn("session sweep", "err", err)
		} else if n > 0 {
			log.Info("session sweep", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func lookup(environ []string, key string) string {
	for _, kv := range environ {
		if len(kv) > len(key) && kv[:len(key)] == key && kv[len(key)] == '=' {
			return kv[len(key)+1:]
		}
	}
	return ""
}
