package ice_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"callapp/config"
	"callapp/controllers"
	"callapp/controllers/ice"
	"callapp/route/apptest"
)

// app is the whole app with its embedded TURN server on loopback, set up
// as startRelay sets up a server of its own.
type app struct {
	*apptest.App
	t *testing.T
}

// newApp starts the app and returns its relay, whose log is the app's.
func newApp(t *testing.T) (*app, *relay) {
	t.Helper()
	logs := &apptest.LogBuffer{}
	a := apptest.Start(t, apptest.Log(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		apptest.Config(func(c *config.Config) {
			c.TURNEnabled, c.TURNSecret, c.TURNRealm = true, testSecret, testRealm
			c.TURNAllowPrivate, c.TURNAllowLoopback = true, true
			c.TURNMaxAllocations, c.TURNMaxAllocationsPerUser = 50, 10
			c.TURNRelayPortMin, c.TURNRelayPortMax, c.TURNAllocationKbps = 0, 0, 0
		}))
	return &app{App: a, t: t}, relayOf(a.Relay, logs)
}

// get fetches path and decodes the answer's data into data.
func (a *app) get(c *http.Client, path string, data any) apptest.Reply {
	a.t.Helper()
	return a.Get(c, path, data)
}

func TestICEServersAPI(t *testing.T) {
	a, r := newApp(t)
	admin, bob := a.Register("alice"), a.Register("bob")

	if res := a.get(a.Client(), "/webrtc/api/ice-servers", nil); res.Status != http.StatusUnauthorized {
		t.Errorf("anonymous: %d, want 401", res.Status)
	}
	var cfg controllers.ICEConfig
	res := a.get(bob, "/webrtc/api/ice-servers", &cfg)
	if res.Status != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" || cfg.TTLSec != 3600 {
		t.Fatalf("bob: %d, Cache-Control %q, ttl %d", res.Status, res.Header.Get("Cache-Control"), cfg.TTLSec)
	}
	if len(cfg.ICEServers) != 2 || !strings.HasPrefix(cfg.ICEServers[0].URLs[0], "stun:127.0.0.1:") {
		t.Fatalf("servers: %+v", cfg.ICEServers)
	}
	turnEntry := cfg.ICEServers[1]
	expires, id, ok := ice.ParseUsername(turnEntry.Username)
	if !ok || id != 2 || time.Until(expires) < 59*time.Minute || turnEntry.Credential != ice.Password(testSecret, turnEntry.Username) {
		t.Errorf("bob's credential: %+v", turnEntry)
	}

	var status controllers.RelayStatus
	if res := a.get(bob, "/webrtc/api/admin/relay", &status); res.Status != http.StatusForbidden {
		t.Errorf("relay status as a user: %d", res.Status)
	}
	if _, err := allocate(t, validClient(t, r, 2)); err != nil {
		t.Fatal(err)
	}
	a.get(admin, "/webrtc/api/admin/relay", &status)
	if status.Mode != "embedded" || len(status.URLs) != 3 || status.Stats.Active != 1 {
		t.Errorf("relay status: %+v", status)
	}
}
