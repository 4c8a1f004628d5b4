package config_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"callapp/config"
)

func TestDefaultsValidate(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	c, err := config.Load("", nil)
	if err != nil {
		t.Fatalf("Load with nothing configured: %v", err)
	}
	// The values an operator who configures nothing gets.
	if c.Listen != "127.0.0.1:8080" || c.DBDriver != "sqlite" || c.TLS() ||
		c.LoginMaxUserFailures != 5 || c.LoginMaxIPFailures != 20 || c.LoginWindow != 15*time.Minute {
		t.Errorf("defaults: listen %s driver %s tls %v login %d/%d per %v",
			c.Listen, c.DBDriver, c.TLS(), c.LoginMaxUserFailures, c.LoginMaxIPFailures, c.LoginWindow)
	}
	if got, want := c.SQLitePath(), filepath.Join("data", "callapp.db"); got != want {
		t.Errorf("SQLitePath = %q, want %q", got, want)
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "callapp.conf")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFileThenEnvironment(t *testing.T) {
	path := writeFile(t, `# callapp settings

LISTEN = 0.0.0.0:9000
CALLAPP_DB_DRIVER=mysql
DB_DSN=app:pw@tcp(db:3306)/callapp
   # an indented comment
LOGIN_WINDOW=5m
ADMIN_USERNAMES= alice, Bob ,,
BCRYPT_COST=12
`)
	env := []string{
		"CALLAPP_LISTEN=127.0.0.1:9999", // environment beats the file
		"CALLAPP_BCRYPT_COST=13",
		"PATH=/usr/bin",                      // not ours
		"CALLAPP_CONFIG=/elsewhere.conf",     // names the file, not a setting
		"CALLAPP_TEST_MYSQL_DSN=not a dsn",   // belongs to the tests
		"CALLAPP_TEST_ANYTHING_ELSE=garbage", // likewise
	}
	c, err := config.Load(path, env)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"LISTEN (env over file)", c.Listen, "127.0.0.1:9999"},
		{"BCRYPT_COST (env over file)", c.BcryptCost, 13},
		{"DB_DRIVER (prefixed key in file)", c.DBDriver, "mysql"},
		{"DB_DSN (file)", c.DBDSN, "app:pw@tcp(db:3306)/callapp"},
		{"LOGIN_WINDOW (file)", c.LoginWindow, 5 * time.Minute},
		{"LOGIN_MAX_IP_FAILURES (default)", c.LoginMaxIPFailures, 20},
		{"DATA_DIR (default)", c.DataDir, "data"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if !slices.Equal(c.AdminUsernames, []string{"alice", "Bob"}) {
		t.Errorf("ADMIN_USERNAMES = %q, want [alice Bob] (trimmed, empties dropped)", c.AdminUsernames)
	}
}

func TestLoadFileErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string // substrings of the error, besides file:line
		line    string
	}{
		{"unknown key", "# ok\nLISTEN=127.0.0.1:1\nNO_SUCH_THING=1\n", []string{"CALLAPP_NO_SUCH_THING", "unknown"}, ":3"},
		{"unknown prefixed key", "CALLAPP_LISTN=127.0.0.1:1\n", []string{"CALLAPP_LISTN"}, ":1"},
		{"test keys are not settings", "\nCALLAPP_TEST_MYSQL_DSN=x\n", []string{"CALLAPP_TEST_MYSQL_DSN"}, ":2"},
		{"no equals sign", "LISTEN 127.0.0.1:1\n", []string{"KEY=value"}, ":1"},
		{"bad duration", "\n\n# c\nLOGIN_WINDOW=15\n", []string{"CALLAPP_LOGIN_WINDOW"}, ":4"},
		{"bad int", "BCRYPT_COST=eleven\n", []string{"CALLAPP_BCRYPT_COST"}, ":1"},
		{"bad bool", "TLS_SELF_SIGNED=yes please\n", []string{"CALLAPP_TLS_SELF_SIGNED"}, ":1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.content)
			_, err := config.Load(path, nil)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range append(tt.want, path+tt.line) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing.conf"), nil); err == nil {
		t.Error("Load of a missing file succeeded, want an error")
	}
}

func TestBadSettingsAreNamed(t *testing.T) {
	tests := []struct {
		env  []string
		want string // the setting the error must name
	}{
		{[]string{"CALLAPP_NO_SUCH_THING=1"}, "CALLAPP_NO_SUCH_THING"},
		{[]string{"CALLAPP_LOGIN_WINDOW=15"}, "CALLAPP_LOGIN_WINDOW"},
		{[]string{"CALLAPP_LOGIN_WINDOW=0s"}, "CALLAPP_LOGIN_WINDOW"},
		{[]string{"CALLAPP_SESSION_TTL=-1h"}, "CALLAPP_SESSION_TTL"},
		{[]string{"CALLAPP_WS_PONG_WAIT=10s"}, "CALLAPP_WS_PONG_WAIT"}, // shorter than the 25s ping
		{[]string{"CALLAPP_LOGIN_MAX_USER_FAILURES=five"}, "CALLAPP_LOGIN_MAX_USER_FAILURES"},
		{[]string{"CALLAPP_LOGIN_MAX_IP_FAILURES=0"}, "CALLAPP_LOGIN_MAX_IP_FAILURES"},
		{[]string{"CALLAPP_MAX_BODY_BYTES=1e6"}, "CALLAPP_MAX_BODY_BYTES"},
		{[]string{"CALLAPP_DB_DRIVER=postgres"}, "CALLAPP_DB_DRIVER"},
		{[]string{"CALLAPP_DB_DRIVER=mysql"}, "CALLAPP_DB_DSN"},
		{[]string{"CALLAPP_TLS_CERT=/etc/cert.pem"}, "CALLAPP_TLS_CERT"},
		{[]string{"CALLAPP_TLS_KEY=/etc/key.pem"}, "TLS_KEY"},
		{[]string{"CALLAPP_TLS_SELF_SIGNED=true", "CALLAPP_TLS_CERT=c.pem", "CALLAPP_TLS_KEY=k.pem"}, "CALLAPP_TLS_SELF_SIGNED"},
		{[]string{"CALLAPP_TLS_SELF_SIGNED=maybe"}, "CALLAPP_TLS_SELF_SIGNED"},
		{[]string{"CALLAPP_BCRYPT_COST=9"}, "CALLAPP_BCRYPT_COST"},
		{[]string{"CALLAPP_BCRYPT_COST=4"}, "CALLAPP_BCRYPT_COST"},
		{[]string{"CALLAPP_BCRYPT_COST=16"}, "CALLAPP_BCRYPT_COST"},
		{[]string{"CALLAPP_BCRYPT_PARALLEL=0"}, "CALLAPP_BCRYPT_PARALLEL"},
		{[]string{"CALLAPP_BCRYPT_MAX_WAITING=-1"}, "CALLAPP_BCRYPT_MAX_WAITING"},
		{[]string{"CALLAPP_LOGIN_ACCOUNT_SLOWDOWN_AFTER=0"}, "CALLAPP_LOGIN_ACCOUNT_SLOWDOWN_AFTER"},
		{[]string{"CALLAPP_LOGIN_ACCOUNT_MAX_DELAY=0s"}, "CALLAPP_LOGIN_ACCOUNT_MAX_DELAY"},
		{[]string{"CALLAPP_ALLOWED_ORIGINS=example.com"}, "CALLAPP_ALLOWED_ORIGINS"},
		{[]string{"CALLAPP_ALLOWED_ORIGINS=https://ok.example,https://example.com/path"}, "CALLAPP_ALLOWED_ORIGINS"},
		{[]string{"CALLAPP_ALLOWED_ORIGINS=*"}, "CALLAPP_ALLOWED_ORIGINS"},
		{[]string{"CALLAPP_ALLOWED_HOSTS=https://calls.example.com"}, "CALLAPP_ALLOWED_HOSTS"},
		{[]string{"CALLAPP_ALLOWED_HOSTS=calls.example.com/path"}, "CALLAPP_ALLOWED_HOSTS"},
		{[]string{"CALLAPP_ALLOWED_HOSTS=calls.example.com:http"}, "CALLAPP_ALLOWED_HOSTS"},
		{[]string{"CALLAPP_ALLOWED_HOSTS=::1"}, "CALLAPP_ALLOWED_HOSTS"},
		{[]string{"CALLAPP_ALLOWED_HOSTS=user@calls.example.com"}, "CALLAPP_ALLOWED_HOSTS"},
		{[]string{"CALLAPP_TRUSTED_PROXIES=10.0.0.0/33"}, "CALLAPP_TRUSTED_PROXIES"},
		{[]string{"CALLAPP_TRUSTED_PROXIES=proxy.internal"}, "CALLAPP_TRUSTED_PROXIES"},
		{[]string{"CALLAPP_LOG_LEVEL=verbose"}, "CALLAPP_LOG_LEVEL"},
		{[]string{"CALLAPP_LOG_FORMAT=xml"}, "CALLAPP_LOG_FORMAT"},
		{[]string{"CALLAPP_LISTEN=8080"}, "CALLAPP_LISTEN"},
		{[]string{"CALLAPP_HTTP_READ_TIMEOUT=0s"}, "CALLAPP_HTTP_READ_TIMEOUT"},
		{[]string{"CALLAPP_HTTP_WRITE_TIMEOUT=-1s"}, "CALLAPP_HTTP_WRITE_TIMEOUT"},
		{[]string{"CALLAPP_HTTP_IDLE_TIMEOUT=0s"}, "CALLAPP_HTTP_IDLE_TIMEOUT"},
		{[]string{"CALLAPP_HTTP_MAX_HEADER_BYTES=0"}, "CALLAPP_HTTP_MAX_HEADER_BYTES"},
		{[]string{"CALLAPP_WS_MAX_PENDING_PER_IP=0"}, "CALLAPP_WS_MAX_PENDING_PER_IP"},
		{[]string{"CALLAPP_ROOM_CAPACITY=1"}, "CALLAPP_ROOM_CAPACITY"},
		{[]string{"CALLAPP_ROOM_CAPACITY=9"}, "CALLAPP_ROOM_CAPACITY"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.env, " "), func(t *testing.T) {
			_, err := config.Load("", tt.env)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %s", err, tt.want)
			}
		})
	}
}

func TestGoodSettingsAccepted(t *testing.T) {
	tests := [][]string{
		{"CALLAPP_BCRYPT_COST=10"},
		{"CALLAPP_BCRYPT_COST=15"},
		{"CALLAPP_BCRYPT_MAX_WAITING=0"}, // nobody waits: past BCRYPT_PARALLEL, 429
		{"CALLAPP_DB_DRIVER=mysql", "CALLAPP_DB_DSN=root@tcp(127.0.0.1:3306)/callapp"},
		{"CALLAPP_TLS_CERT=/etc/cert.pem", "CALLAPP_TLS_KEY=/etc/key.pem"},
		{"CALLAPP_TLS_SELF_SIGNED=true"},
		{"CALLAPP_ALLOWED_ORIGINS=https://app.example.com, http://localhost:3000"},
		{"CALLAPP_ALLOWED_HOSTS=calls.example.com, box.lan:8443, [::1], 192.168.1.20"},
		{"CALLAPP_TRUSTED_PROXIES=10.0.0.0/8,192.168.1.1,::1,fd00::/8"},
		{"CALLAPP_LOG_LEVEL=debug", "CALLAPP_LOG_FORMAT=json"},
		{"CALLAPP_LISTEN=:8443"},
		{"CALLAPP_ROOM_CAPACITY=8"},
	}
	for _, env := range tests {
		if _, err := config.Load("", env); err != nil {
			t.Errorf("Load(%q): %v", env, err)
		}
	}
}

func TestValidateReportsEveryBadSetting(t *testing.T) {
	_, err := config.Load("", []string{"CALLAPP_LOG_LEVEL=loud", "CALLAPP_BCRYPT_COST=3"})
	if err == nil || !strings.Contains(err.Error(), "CALLAPP_LOG_LEVEL") || !strings.Contains(err.Error(), "CALLAPP_BCRYPT_COST") {
		t.Errorf("error %v, want both CALLAPP_LOG_LEVEL and CALLAPP_BCRYPT_COST named", err)
	}
}

func TestStringRedactsSecrets(t *testing.T) {
	tests := []struct {
		dsn, hidden, shown string
	}{
		{"callapp:hunter2@tcp(db:3306)/callapp?parseTime=true", "hunter2", "callapp:xxx@tcp(db:3306)/callapp"},
		{"u:p@ss:w/rd@tcp(db:3306)/app", "p@ss:w/rd", "u:xxx@tcp(db:3306)/app"},
		{":onlypass@tcp(db)/app", "onlypass", ":xxx@tcp(db)/app"},
		{"root@tcp(127.0.0.1:3306)/callapp", "", "root@tcp(127.0.0.1:3306)/callapp"},
	}
	for _, tt := range tests {
		c := config.Default()
		c.SessionKey = "very-secret-session-key"
		c.DBDriver, c.DBDSN = "mysql", tt.dsn
		s := c.String()
		if strings.Contains(s, "very-secret-session-key") || !strings.Contains(s, "CALLAPP_SESSION_KEY=(redacted)") {
			t.Errorf("String() does not redact the session key: %s", s)
		}
		if tt.hidden != "" && strings.Contains(s, tt.hidden) {
			t.Errorf("String() shows the MySQL password %q: %s", tt.hidden, s)
		}
		if !strings.Contains(s, "CALLAPP_DB_DSN="+tt.shown) {
			t.Errorf("String() = %s, want CALLAPP_DB_DSN=%s", s, tt.shown)
		}
	}
	c := config.Default()
	if s := c.String(); !strings.Contains(s, "CALLAPP_SESSION_KEY= ") || !strings.Contains(s, "CALLAPP_LISTEN=127.0.0.1:8080") {
		t.Errorf("String() of defaults = %s, want an empty session key and the listen address", s)
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // does not exist yet
	s1, err := config.LoadOrCreateSecret(dir, "session.key")
	if err != nil {
		t.Fatal(err)
	}
	if len(s1) < 43 { // 32 random bytes, base64
		t.Errorf("secret %q is shorter than 256 bits", s1)
	}
	info, err := os.Stat(filepath.Join(dir, "session.key"))
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("secret file mode %o, want 600", mode)
	}
	s2, err := config.LoadOrCreateSecret(dir, "session.key")
	if err != nil || s2 != s1 {
		t.Errorf("second call = %q, %v; want the first secret %q", s2, err, s1)
	}
	other, _ := config.LoadOrCreateSecret(dir, "other.key")
	if other == s1 || other == "" {
		t.Errorf("another name gave %q, want a different secret", other)
	}
}

func TestLoadOrCreateSecretConcurrentStartsAgree(t *testing.T) {
	dir := t.TempDir()
	secrets := make([]string, 16)
	var wg sync.WaitGroup
	for i := range secrets {
		wg.Go(func() {
			s, err := config.LoadOrCreateSecret(dir, "session.key")
			if err != nil {
				t.Error(err)
			}
			secrets[i] = s
		})
	}
	wg.Wait()
	for _, s := range secrets {
		if s == "" || s != secrets[0] {
			t.Fatalf("concurrent callers got different secrets: %q", secrets)
		}
	}
}

func TestLoadOrCreateSecretEmptyFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "session.key"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := config.LoadOrCreateSecret(dir, "session.key")
	if err != nil || s == "" {
		t.Fatalf("empty secret file: %q, %v; want a new secret", s, err)
	}
	if again, err := config.LoadOrCreateSecret(dir, "session.key"); err != nil || again != s {
		t.Errorf("the regenerated secret was not kept: %q then %q (%v)", s, again, err)
	}
}

func TestFillSecrets(t *testing.T) {
	c := config.Default()
	c.DataDir = t.TempDir()
	if err := c.FillSecrets(); err != nil {
		t.Fatal(err)
	}
	kept, err := os.ReadFile(filepath.Join(c.DataDir, "session.key"))
	if err != nil || c.SessionKey == "" || strings.TrimSpace(string(kept)) != c.SessionKey {
		t.Errorf("FillSecrets: key %q, file %q (%v); want the generated key kept in the data folder", c.SessionKey, kept, err)
	}

	configured := config.Default()
	configured.DataDir, configured.SessionKey = t.TempDir(), "from-the-operator"
	if err := configured.FillSecrets(); err != nil || configured.SessionKey != "from-the-operator" {
		t.Errorf("FillSecrets replaced a configured key: %q, %v", configured.SessionKey, err)
	}
	if _, err := os.Stat(filepath.Join(configured.DataDir, "session.key")); err == nil {
		t.Error("FillSecrets wrote a key file although the key is configured")
	}
}

func TestTLSConfigOffByDefault(t *testing.T) {
	c := config.Default()
	c.DataDir = t.TempDir()
	tc, err := c.TLSConfig()
	if tc != nil || err != nil {
		t.Errorf("TLSConfig() = %v, %v; want nil, nil for plain HTTP", tc, err)
	}
}

func selfSigned(t *testing.T, dir string) (*tls.Config, *x509.Certificate) {
	t.Helper()
	c := config.Default()
	c.DataDir, c.TLSSelfSigned = dir, true
	tc, err := c.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if tc == nil || len(tc.Certificates) != 1 {
		t.Fatalf("TLSConfig() = %v, want one certificate", tc)
	}
	leaf, err := x509.ParseCertificate(tc.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return tc, leaf
}

func TestTLSSelfSignedCertificate(t *testing.T) {
	dir := t.TempDir()
	tc, leaf := selfSigned(t, dir)
	for _, host := range []string{"localhost", "127.0.0.1"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("certificate does not cover %s: %v", host, err)
		}
	}
	if leaf.NotAfter.Before(time.Now().Add(300 * 24 * time.Hour)) {
		t.Errorf("certificate expires %v, want about a year", leaf.NotAfter)
	}
	if tc.MinVersion < tls.VersionTLS12 {
		t.Errorf("MinVersion %x, want TLS 1.2 or later", tc.MinVersion)
	}
	if info, err := os.Stat(filepath.Join(dir, "tls-key.pem")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v; want mode 600", info, err)
	}

	_, again := selfSigned(t, dir)
	if !again.Equal(leaf) {
		t.Error("second start generated a new certificate, want the kept one reused")
	}

	if err := os.Remove(filepath.Join(dir, "tls-cert.pem")); err != nil {
		t.Fatal(err)
	}
	_, fresh := selfSigned(t, dir)
	if fresh.Equal(leaf) {
		t.Error("certificate file deleted but the same certificate came back")
	}
	if err := fresh.VerifyHostname("localhost"); err != nil {
		t.Errorf("regenerated certificate: %v", err)
	}

	// The kept files also work as an operator-supplied TLS_CERT/TLS_KEY pair.
	c := config.Default()
	c.TLSCert, c.TLSKey = filepath.Join(dir, "tls-cert.pem"), filepath.Join(dir, "tls-key.pem")
	if tc, err := c.TLSConfig(); err != nil || tc == nil {
		t.Errorf("TLSConfig with TLS_CERT/TLS_KEY: %v", err)
	}
	c.TLSCert = filepath.Join(dir, "missing.pem")
	if _, err := c.TLSConfig(); err == nil {
		t.Error("TLSConfig with a missing TLS_CERT succeeded")
	}
}

func TestTLSSelfSignedHandshake(t *testing.T) {
	tc, leaf := selfSigned(t, t.TempDir())
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello over tls")
	}))
	srv.TLS = tc
	srv.StartTLS() // listens on 127.0.0.1
	defer srv.Close()

	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatalf("GET %s trusting the certificate: %v", srv.URL, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello over tls" {
		t.Errorf("body %q", body)
	}

	// By name: the same listener, verified as localhost.
	conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("handshake as localhost: %v", err)
	}
	conn.Close()

	// Without the certificate in the pool the handshake must fail.
	untrusting := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}}
	if resp, err := untrusting.Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Error("a client that does not trust the certificate connected")
	}
}

func TestSelfSignedRegeneratedWithoutKey(t *testing.T) {
	c := config.Default()
	c.DataDir, c.TLSSelfSigned = t.TempDir(), true
	if _, err := c.TLSConfig(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(c.DataDir, "tls-key.pem")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TLSConfig(); err != nil {
		t.Errorf("a lost key file stops the server: %v; want a new certificate", err)
	}
}

func TestHostsAddOriginHosts(t *testing.T) {
	c := config.Default()
	c.BaseURL = "https://calls.example.com:8443/app"
	c.AllowedOrigins = []string{"http://[fd00::1]:3000", "https://partner.example"}
	c.AllowedHosts = []string{"box.lan:8080"}
	got := c.Hosts()
	want := []string{"box.lan:8080", "[fd00::1]", "partner.example", "calls.example.com"}
	if !slices.Equal(got, want) {
		t.Errorf("Hosts() = %q, want %q", got, want)
	}
}

// TestClusterSettings: with REDIS_URL every node must be given the same
// secrets (none may invent its own), a Redis URL and a bound of 2s or
// more; without it none of that is asked.
func TestClusterSettings(t *testing.T) {
	redis := "CALLAPP_REDIS_URL=redis://127.0.0.1:6379/0"
	secrets := []string{"CALLAPP_SESSION_KEY=a-session-key-for-every-node", "CALLAPP_TURN_SECRET=a-turn-secret-for-every-node"}
	bad := []struct {
		env  []string
		want string
	}{
		{[]string{redis}, "CALLAPP_SESSION_KEY"},
		{[]string{redis, secrets[0]}, "CALLAPP_TURN_SECRET"},
		{append([]string{"CALLAPP_REDIS_URL=http://127.0.0.1:6379"}, secrets...), "CALLAPP_REDIS_URL"},
		{append([]string{redis, "CALLAPP_CLUSTER_OFFLINE_BOUND=1s"}, secrets...), "CALLAPP_CLUSTER_OFFLINE_BOUND"},
		{append([]string{redis, "CALLAPP_REDIS_PREFIX="}, secrets...), "CALLAPP_REDIS_PREFIX"},
	}
	for _, tt := range bad {
		if _, err := config.Load("", tt.env); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%q) = %v, want %s named", tt.env, err, tt.want)
		}
	}
	c, err := config.Load("", append([]string{redis, "CALLAPP_TURN_ENABLED=false", "CALLAPP_NODE_ID=node-1"}, secrets[0]))
	if err != nil || !c.Clustered() || c.NodeID != "node-1" || c.ClusterOfflineBound != 10*time.Second || c.RedisPrefix != "callapp:" {
		t.Errorf("a node without TURN: %+v, %v", c, err)
	}
	if c, err := config.Load("", nil); err != nil || c.Clustered() {
		t.Errorf("no REDIS_URL: clustered %v, %v", c.Clustered(), err)
	}
}
