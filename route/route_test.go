package route_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"callapp/config"
	"callapp/controllers/signal"
	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/dao/password"
	"callapp/route"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// app is the whole router over a fresh database, served on loopback.
type app struct {
	t   *testing.T
	srv *httptest.Server
	db  *dao.DAO
}

func newApp(t *testing.T, driver string, tweak func(*config.Config)) *app {
	t.Helper()
	return newAppOn(t, daotest.Open(t, driver), tweak)
}

// newAppOn is newApp over a database the test opened.
func newAppOn(t *testing.T, db *dao.DAO, tweak func(*config.Config)) *app {
	t.Helper()
	cfg := config.Default()
	cfg.SessionKey = "test-key"
	if tweak != nil {
		tweak(cfg)
	}
	hasher, err := password.New(bcrypt.MinCost, 4)
	if err != nil {
		t.Fatal(err)
	}
	// Sockets of expired sessions close within a test's patience.
	hub := signal.New(signal.Options{SessionCheck: 20 * time.Millisecond}, db)
	t.Cleanup(hub.Close)
	r, err := route.New(route.Deps{
		Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db,
		Accounts: dao.NewAccounts(db, hasher, cfg.AdminUsernames),
		Sessions: dao.NewSessions(db, cfg.SessionKey, cfg.SessionTTL),
		Assets:   os.DirFS(".."),
		Hub:      hub,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &app{t: t, srv: srv, db: db}
}

// client is one browser: its own cookie jar, no redirect following.
func (a *app) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type reply struct {
	Status int
	Header http.Header
	Code   int             `json:"code"`
	Msg    string          `json:"message"`
	Data   json.RawMessage `json:"data"`
}

func (a *app) do(c *http.Client, method, path, contentType, body string, header ...string) reply {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		switch header[i] {
		case "":
		case "Host": // the client sends req.Host, not a Host header
			req.Host = header[i+1]
		default:
			req.Header.Set(header[i], header[i+1])
		}
	}
	res, err := c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	r := reply{Status: res.StatusCode, Header: res.Header}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
			a.t.Fatalf("%s %s: bad JSON answer: %v", method, path, err)
		}
	}
	return r
}

func (a *app) postJSON(c *http.Client, path string, body any, header ...string) reply {
	b, _ := json.Marshal(body)
	return a.do(c, http.MethodPost, path, "application/json", string(b), header...)
}

func cred(user, pw string) map[string]string {
	return map[string]string{"username": user, "password": pw}
}

// register makes an account and returns a client logged in as it.
func (a *app) register(name string) *http.Client {
	a.t.Helper()
	c := a.client()
	if r := a.postJSON(c, "/webrtc/register", cred(name, "password-"+name)); r.Status != http.StatusCreated {
		a.t.Fatalf("register %s: %d %s", name, r.Status, r.Msg)
	}
	return c
}

func forEachDriver(t *testing.T, fn func(t *testing.T, driver string)) {
	for _, driver := range daotest.Drivers(t) {
		t.Run(driver, func(t *testing.T) { fn(t, driver) })
	}
}
