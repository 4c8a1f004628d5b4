package ice_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"callapp/config"
	"callapp/controllers/ice"
	"callapp/controllers/signal"
	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/dao/password"
	"callapp/route"
)

// app is the whole router over a fresh SQLite database, handing out the
// given relay's servers, served on loopback.
type app struct {
	t   *testing.T
	url string
}

func newApp(t *testing.T, r *relay) *app {
	t.Helper()
	cfg := config.Default()
	cfg.SessionKey = "test-key"
	db := daotest.Open(t, dao.DriverSQLite)
	hasher, err := password.New(bcrypt.MinCost, 4)
	if err != nil {
		t.Fatal(err)
	}
	stun, turnURLs := r.URLs()
	hub := signal.New(signal.Options{Logger: slog.New(slog.DiscardHandler)}, db) // admins disabling users kick them
	t.Cleanup(hub.Close)
	router, err := route.New(route.Deps{
		Config: cfg, Log: slog.New(slog.DiscardHandler), DB: db,
		Accounts: dao.NewAccounts(db, hasher, nil),
		Sessions: dao.NewSessions(db, cfg.SessionKey, cfg.SessionTTL),
		Assets:   os.DirFS("../.."),
		ICE:      ice.NewProvider(ice.ProviderOptions{Secret: testSecret, TTL: time.Hour, STUNURLs: stun, TURNURLs: turnURLs}),
		Relay:    r.Server,
		Hub:      hub,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	return &app{t: t, url: srv.URL}
}

// register makes an account and returns a client logged in as it.
func (a *app) register(name string) *http.Client {
	a.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	body := `{"username":"` + name + `","password":"password-` + name + `"}`
	res, err := c.Post(a.url+"/webrtc/register", "application/json", strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		a.t.Fatalf("register %s: %d", name, res.StatusCode)
	}
	return c
}

// get fetches path and decodes the answer's data into data.
func (a *app) get(c *http.Client, path string, data any) *http.Response {
	a.t.Helper()
	res, err := c.Get(a.url + path)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		a.t.Fatalf("GET %s: %v", path, err)
	}
	if res.StatusCode == http.StatusOK && (body.Code != 0 || body.Message != "ok" || json.Unmarshal(body.Data, data) != nil) {
		a.t.Fatalf("GET %s: answer %+v", path, body)
	}
	return res
}

func TestICEServersAPI(t *testing.T) {
	r := startRelay(t, nil)
	a := newApp(t, r)
	admin, bob := a.register("alice"), a.register("bob")

	if res := a.get(&http.Client{}, "/webrtc/api/ice-servers", nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous: %d, want 401", res.StatusCode)
	}
	var cfg ice.Config
	res := a.get(bob, "/webrtc/api/ice-servers", &cfg)
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" || cfg.TTLSec != 3600 {
		t.Fatalf("bob: %d, Cache-Control %q, ttl %d", res.StatusCode, res.Header.Get("Cache-Control"), cfg.TTLSec)
	}
	if len(cfg.ICEServers) != 2 || !strings.HasPrefix(cfg.ICEServers[0].URLs[0], "stun:127.0.0.1:") {
		t.Fatalf("servers: %+v", cfg.ICEServers)
	}
	turnEntry := cfg.ICEServers[1]
	expires, id, ok := ice.ParseUsername(turnEntry.Username)
	if !ok || id != 2 || time.Until(expires) < 59*time.Minute || turnEntry.Credential != ice.Password(testSecret, turnEntry.Username) {
		t.Errorf("bob's credential: %+v", turnEntry)
	}

	var status ice.RelayStatus
	if res := a.get(bob, "/webrtc/api/admin/relay", &status); res.StatusCode != http.StatusForbidden {
		t.Errorf("relay status as a user: %d", res.StatusCode)
	}
	if _, err := allocate(t, validClient(t, r, 2)); err != nil {
		t.Fatal(err)
	}
	a.get(admin, "/webrtc/api/admin/relay", &status)
	if status.Mode != "embedded" || len(status.URLs) != 3 || status.Stats.Active != 1 {
		t.Errorf("relay status: %+v", status)
	}
}
