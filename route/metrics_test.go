package route_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"callapp/config"
)

// scrape gets /metrics as c and returns the status and the body.
func (a *app) scrape(c *http.Client) (int, string) {
	a.t.Helper()
	res, err := c.Get(a.URL + "/metrics")
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// sample returns the value of the sample named exactly name (with its
// labels), or -1.
func sample(body, name string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func TestMetricsForAdminsByDefault(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	admin, user := a.Register("alice"), a.Register("bob")
	if code, _ := a.scrape(a.Client()); code != http.StatusUnauthorized {
		t.Errorf("anonymous: %d, want 401", code)
	}
	if code, _ := a.scrape(user); code != http.StatusForbidden {
		t.Errorf("user: %d, want 403", code)
	}
	code, body := a.scrape(admin)
	if code != http.StatusOK {
		t.Fatalf("admin: %d", code)
	}
	for _, name := range []string{`callapp_logins_total{result="failed"}`, "callapp_ws_connections", "callapp_online_users",
		"callapp_calls_active", "callapp_chat_messages_total", "callapp_relay_latency_seconds_count",
		"callapp_db_connections_open", "go_goroutines", "process_resident_memory_bytes"} {
		if sample(body, name) < 0 {
			t.Errorf("no %s in the metrics", name)
		}
	}

	failed := sample(body, `callapp_logins_total{result="failed"}`)
	if r := a.PostJSON(a.Client(), "/webrtc/login", cred("alice", "wrong password")); r.Status != http.StatusUnauthorized {
		t.Fatalf("bad login: %d", r.Status)
	}
	if r := a.PostJSON(a.Client(), "/webrtc/login", cred("alice", "password-alice")); r.Status != http.StatusOK {
		t.Fatalf("login: %d", r.Status)
	}
	_, body = a.scrape(admin)
	if got := sample(body, `callapp_logins_total{result="failed"}`); got != failed+1 {
		t.Errorf("logins failed %v after one failure, was %v", got, failed)
	}
	if got := sample(body, `callapp_logins_total{result="ok"}`); got != 1 {
		t.Errorf("logins ok = %v, want 1", got)
	}
}

func TestMetricsForAllowedAddresses(t *testing.T) {
	a := newApp(t, "sqlite", func(c *config.Config) { c.Metrics = []string{"127.0.0.1", "::1"} })
	if code, body := a.scrape(a.Client()); code != http.StatusOK || sample(body, "callapp_ws_connections") != 0 {
		t.Errorf("anonymous scraper on loopback: %d", code)
	}
	b := newApp(t, "sqlite", func(c *config.Config) { c.Metrics = []string{"10.9.8.0/24"} })
	if code, _ := b.scrape(b.Client()); code != http.StatusUnauthorized {
		t.Errorf("anonymous from an address not listed: %d, want 401", code)
	}
}

func TestMetricsOff(t *testing.T) {
	a := newApp(t, "sqlite", func(c *config.Config) { c.Metrics = []string{config.MetricsOff} })
	if code, _ := a.scrape(a.Register("alice")); code != http.StatusNotFound {
		t.Errorf("admin with metrics off: %d, want 404", code)
	}
}
