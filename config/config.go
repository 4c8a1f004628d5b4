// Package config loads the server's settings: defaults, then an optional
// file of KEY=value lines, then environment variables with the same keys.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Config is every setting of the server. It is passed as *Config; there is
// no global.
type Config struct {
	Listen  string // host:port for HTTP(S)
	DataDir string // SQLite file, generated secrets and certificates
	BaseURL string // optional public URL: logged, and its origin is allowed

	DBDriver       string // sqlite or mysql
	DBDSN          string // file path for sqlite (default DataDir/callapp.db), DSN for mysql
	DBMaxOpenConns int
	DBMaxIdleConns int
	DBTimeout      time.Duration // bound on every database call; the MySQL DSN's net timeouts when it sets none

	TLSCert       string // PEM certificate file; with TLSKey turns on HTTPS
	TLSKey        string
	TLSSelfSigned bool // generate and keep a self-signed certificate in DataDir

	LogLevel  string // debug, info, warn, error
	LogFormat string // text or json

	SessionTTL       time.Duration
	SessionKey       string // HMAC key for stored token hashes; generated when empty
	RegistrationOpen bool
	AdminUsernames   []string
	AllowedOrigins   []string // extra origins allowed besides the server's own
	AllowedHosts     []string // extra names (host or host:port) the server answers to
	TrustedProxies   []string // CIDRs or IPs whose X-Forwarded-For is believed
	MaxBodyBytes     int64
	BcryptCost       int
	BcryptParallel   int // concurrent bcrypt operations at most
	BcryptMaxWaiting int // logins and registrations queued for a bcrypt slot; more get 429

	HTTPReadTimeout    time.Duration // reading one request, headers and body (websockets are exempt)
	HTTPWriteTimeout   time.Duration // answering one request, from its headers on (websockets are exempt)
	HTTPIdleTimeout    time.Duration // a keep-alive connection idle this long is closed
	HTTPMaxHeaderBytes int           // larger request headers get 431

	LoginMaxUserFailures int // per account and address
	LoginMaxIPFailures   int
	LoginWindow          time.Duration

	LoginAccountSlowdownAfter int           // failures of one account from all addresses before its logins are delayed
	LoginAccountMaxDelay      time.Duration // the longest such delay

	WSPingInterval   time.Duration
	WSPongWait       time.Duration
	WSWriteWait      time.Duration
	WSConnectTimeout time.Duration
	WSMaxMessage     int64
	WSSendQueue      int
	WSMessageRate    float64 // messages per second per connection
	WSMessageBurst   int
	ChatRate         float64 // chat messages per second per user
	ChatBurst        int
	CallRingTimeout  time.Duration
	CallRecordQueue  int           // call record changes kept while the database fails
	CallHeartbeat    time.Duration // how often calls going on are recorded as alive
	CallResumeGrace  time.Duration // how long a call, seat or broadcast waits for its user's connection to come back
	CallMediaTimeout time.Duration // how long a page tries to restore a broken media path before it hangs up
	PresenceTick     time.Duration // presence changes within one tick go out as one envelope
	PresenceRate     float64       // presence envelopes per second before the tick stretches
	RoomCapacity     int           // members a room holds, 2 to RoomCapacityMax
	Metrics          []string      // who may read /metrics: off, admin, or allowed IPs/CIDRs (see MetricsAccess)
	STUNURLs         []string      // plain STUN servers handed to browsers

	// Websockets one client address may hold before they send User/Connect.
	WSMaxPendingPerIP int
	// Viewers one live broadcast may have: each costs the broadcaster's upload.
	LiveMaxViewers int

	// ICE relay: the embedded STUN/TURN server, or external TURN servers
	// that share TURNSecret (see README "STUN and TURN").
	TURNEnabled               bool   // run the embedded server (ignored when TURNURLs is set)
	TURNListen                string // UDP and TCP host:port; empty: LISTEN's host, port 3478
	TURNRealm                 string
	TURNPublicIP              string // relay and URL address; empty: TURNListen's IP or the first LAN IPv4
	TURNRelayPortMin          int    // relay ports; 0 and 0: any port the system gives
	TURNRelayPortMax          int
	TURNSecret                string        // HMAC key of TURN credentials; generated when empty
	TURNCredentialTTL         time.Duration // lifetime of a handed-out TURN credential
	TURNURLs                  []string      // external turn:/turns: servers sharing TURNSecret
	TURNAllowPrivate          bool          // relay to RFC 1918 and CGNAT addresses (LAN use)
	TURNAllowLoopback         bool          // relay to loopback: tests only
	TURNMaxAllocations        int
	TURNMaxAllocationsPerUser int
	TURNAllocationKbps        int // per allocation and direction; 0: unlimited

	// Several nodes: with RedisURL set, hubs on every node share their
	// state through Redis (see README "Several nodes").
	RedisURL            string        // redis:// or rediss:// URL; empty: one node, all in memory
	RedisPrefix         string        // prefix of every key and channel, so that clusters can share a Redis
	RedisTimeout        time.Duration // dial, read and write timeout of every Redis command
	ClusterOfflineBound time.Duration // a dead node's users are offline on the others within it
	NodeID              string        // this node's name in the admin page and metrics; empty: the host name
}

// ClusterOfflineBoundMin is the smallest CLUSTER_OFFLINE_BOUND: a node
// beats every fifth of it, and a Redis round trip must fit.
const ClusterOfflineBoundMin = 2 * time.Second

// RoomCapacityMax is the largest ROOM_CAPACITY: a room is a full mesh, in
// which every member's browser sends its camera once per other member.
const RoomCapacityMax = 8

// Default returns the settings used when nothing is configured.
func Default() *Config {
	return &Config{
		Listen:               "127.0.0.1:8080",
		DataDir:              "data",
		DBDriver:             "sqlite",
		DBMaxOpenConns:       20,
		DBMaxIdleConns:       10,
		DBTimeout:            5 * time.Second,
		LogLevel:             "info",
		LogFormat:            "text",
		SessionTTL:           30 * 24 * time.Hour,
		RegistrationOpen:     true,
		MaxBodyBytes:         64 << 10,
		BcryptCost:           11,
		BcryptParallel:       runtime.NumCPU(),
		HTTPReadTimeout:      30 * time.Second,
		HTTPWriteTimeout:     60 * time.Second,
		HTTPIdleTimeout:      60 * time.Second,
		HTTPMaxHeaderBytes:   64 << 10,
		LoginMaxUserFailures: 5,
		LoginMaxIPFailures:   20,
		LoginWindow:          15 * time.Minute,
		WSPingInterval:       25 * time.Second,
		WSPongWait:           60 * time.Second,
		WSWriteWait:          10 * time.Second,
		WSConnectTimeout:     5 * time.Second,
		WSMaxMessage:         64 << 10,
		WSSendQueue:          256,
		WSMessageRate:        20,
		WSMessageBurst:       60,
		ChatRate:             1,
		ChatBurst:            5,
		CallRingTimeout:      30 * time.Second,
		CallRecordQueue:      10000,
		CallHeartbeat:        time.Minute,
		CallResumeGrace:      30 * time.Second,
		CallMediaTimeout:     15 * time.Second,
		PresenceTick:         200 * time.Millisecond,
		PresenceRate:         10000,
		RoomCapacity:         2,
		Metrics:              []string{MetricsAdmin},
		WSMaxPendingPerIP:    16,
		LiveMaxViewers:       10,

		BcryptMaxWaiting:          32,
		LoginAccountSlowdownAfter: 50,
		LoginAccountMaxDelay:      10 * time.Second,

		TURNEnabled:               true,
		TURNRealm:                 "callapp",
		TURNRelayPortMin:          49152,
		TURNRelayPortMax:          65535,
		TURNCredentialTTL:         time.Hour,
		TURNAllowPrivate:          true,
		TURNMaxAllocations:        500,
		TURNMaxAllocationsPerUser: 10,
		TURNAllocationKbps:        8000,

		RedisPrefix:         "callapp:",
		RedisTimeout:        time.Second,
		ClusterOfflineBound: 10 * time.Second,
	}
}

// TLS reports whether the server serves HTTPS.
func (c *Config) TLS() bool { return c.TLSSelfSigned || c.TLSCert != "" }

// BehindHTTPS reports whether a proxy in front serves the pages over HTTPS
// (BASE_URL is https) while this server may speak plain HTTP to it.
func (c *Config) BehindHTTPS() bool {
	u, err := url.Parse(c.BaseURL)
	return err == nil && u.Scheme == "https"
}

// Origins lists the origins besides the request's own host that may post
// and open the websocket: BASE_URL's (a proxy may rewrite Host) and
// ALLOWED_ORIGINS.
func (c *Config) Origins() []string {
	origins := slices.Clone(c.AllowedOrigins)
	if u, err := url.Parse(c.BaseURL); err == nil && u.Scheme != "" && u.Host != "" {
		origins = append(origins, u.Scheme+"://"+u.Host)
	}
	return origins
}

// Hosts lists the names besides the address a connection arrives on that
// requests may name in Host: ALLOWED_HOSTS as given, and the host names of
// BASE_URL and ALLOWED_ORIGINS with any port (a proxy may or may not pass
// the port on).
func (c *Config) Hosts() []string {
	hosts := slices.Clone(c.AllowedHosts)
	for _, o := range c.Origins() {
		if u, err := url.Parse(o); err == nil && u.Hostname() != "" {
			hosts = append(hosts, strings.TrimSuffix(u.Host, ":"+u.Port()))
		}
	}
	return hosts
}

// SQLitePath is where the default database file lives.
func (c *Config) SQLitePath() string {
	if c.DBDSN != "" {
		return c.DBDSN
	}
	return filepath.Join(c.DataDir, "callapp.db")
}

// Validate names the first bad setting.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{envPrefix + key}, args...)...))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("LISTEN", "want host:port: %v", err)
	}
	switch c.DBDriver {
	case "sqlite":
	case "mysql":
		if c.DBDSN == "" {
			bad("DB_DSN", "required with DB_DRIVER=mysql")
		}
	default:
		bad("DB_DRIVER", "want sqlite or mysql, got %q", c.DBDriver)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		bad("LOG_LEVEL", "want debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("LOG_FORMAT", "want text or json, got %q", c.LogFormat)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("TLS_CERT", "TLS_CERT and TLS_KEY go together")
	}
	if c.TLSCert != "" && c.TLSSelfSigned {
		bad("TLS_SELF_SIGNED", "cannot be on with TLS_CERT")
	}
	if c.BcryptCost < 10 || c.BcryptCost > 15 {
		bad("BCRYPT_COST", "want 10-15, got %d", c.BcryptCost)
	}
	if c.BcryptMaxWaiting < 0 {
		bad("BCRYPT_MAX_WAITING", "must be 0 or more, got %d", c.BcryptMaxWaiting)
	}
	if u, err := url.Parse(c.BaseURL); c.BaseURL != "" && (err != nil || u.Scheme == "" || u.Host == "") {
		bad("BASE_URL", "%q is not a URL like https://calls.example.com", c.BaseURL)
	}
	for _, o := range c.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			bad("ALLOWED_ORIGINS", "%q is not an origin like https://example.com", o)
		}
	}
	for _, h := range c.AllowedHosts {
		if !validHost(h) {
			bad("ALLOWED_HOSTS", "%q is not a host name or host:port (IPv6 in brackets)", h)
		}
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				bad("TRUSTED_PROXIES", "%q is not an IP or CIDR", p)
			}
		}
	}
	positive := map[string]bool{
		"SESSION_TTL": c.SessionTTL > 0, "MAX_BODY_BYTES": c.MaxBodyBytes > 0,
		"BCRYPT_PARALLEL": c.BcryptParallel > 0, "LOGIN_WINDOW": c.LoginWindow > 0,
		"LOGIN_MAX_USER_FAILURES": c.LoginMaxUserFailures > 0, "LOGIN_MAX_IP_FAILURES": c.LoginMaxIPFailures > 0,
		"LOGIN_ACCOUNT_SLOWDOWN_AFTER": c.LoginAccountSlowdownAfter > 0, "LOGIN_ACCOUNT_MAX_DELAY": c.LoginAccountMaxDelay > 0,
		"WS_PING_INTERVAL": c.WSPingInterval > 0, "WS_PONG_WAIT": c.WSPongWait > c.WSPingInterval,
		"WS_WRITE_WAIT": c.WSWriteWait > 0, "WS_CONNECT_TIMEOUT": c.WSConnectTimeout > 0,
		"WS_MAX_MESSAGE": c.WSMaxMessage > 0, "WS_SEND_QUEUE": c.WSSendQueue > 0,
		"WS_MESSAGE_RATE": c.WSMessageRate > 0, "WS_MESSAGE_BURST": c.WSMessageBurst > 0,
		"CHAT_RATE": c.ChatRate > 0, "CHAT_BURST": c.ChatBurst > 0, "CALL_RING_TIMEOUT": c.CallRingTimeout > 0,
		"PRESENCE_TICK": c.PresenceTick > 0, "PRESENCE_RATE": c.PresenceRate > 0,
		"DB_TIMEOUT": c.DBTimeout > 0, "CALL_RECORD_QUEUE": c.CallRecordQueue > 0, "CALL_HEARTBEAT": c.CallHeartbeat > 0,
		"CALL_RESUME_GRACE": c.CallResumeGrace > 0, "CALL_MEDIA_TIMEOUT": c.CallMediaTimeout > 0,
		"HTTP_READ_TIMEOUT": c.HTTPReadTimeout > 0, "HTTP_WRITE_TIMEOUT": c.HTTPWriteTimeout > 0,
		"HTTP_IDLE_TIMEOUT": c.HTTPIdleTimeout > 0, "HTTP_MAX_HEADER_BYTES": c.HTTPMaxHeaderBytes > 0,
		"WS_MAX_PENDING_PER_IP": c.WSMaxPendingPerIP > 0, "LIVE_MAX_VIEWERS": c.LiveMaxViewers > 0,
	}
	for _, key := range sortedKeys(positive) {
		if !positive[key] {
			bad(key, "must be positive (WS_PONG_WAIT longer than WS_PING_INTERVAL)")
		}
	}
	if c.RoomCapacity < 2 || c.RoomCapacity > RoomCapacityMax {
		bad("ROOM_CAPACITY", "want 2-%d, got %d", RoomCapacityMax, c.RoomCapacity)
	}
	c.validateICE(bad)
	c.validateMetrics(bad)
	c.validateCluster(bad)
	return errors.Join(errs...)
}

// validHost reports whether h is what a Host header holds: a name or an
// address, and an optional port.
func validHost(h string) bool {
	u, err := url.Parse("http://" + h)
	return err == nil && u.Host == h && u.Hostname() != "" && u.User == nil
}

// String lists the effective settings for the start-up log, secrets
// redacted.
func (c *Config) String() string {
	var b strings.Builder
	for _, o := range options {
		v := o.get(c)
		if o.secret && v != "" {
			v = "(redacted)"
		}
		if o.key == "DB_DSN" && c.DBDriver == "mysql" {
			v = redactDSN(v)
		}
		fmt.Fprintf(&b, "%s%s=%s ", envPrefix, o.key, v)
	}
	return strings.TrimSpace(b.String())
}

// redactDSN hides the password in user:password@tcp(host)/db.
func redactDSN(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	colon := strings.Index(dsn, ":")
	if at < 0 || colon < 0 || colon > at {
		return dsn
	}
	return dsn[:colon+1] + "xxx" + dsn[at:]
}

// Clustered reports whether the hub shares its state with other nodes
// through Redis.
func (c *Config) Clustered() bool { return c.RedisURL != "" }

// validateCluster checks the settings of several nodes: every node must
// hold the same secrets, so none may invent its own.
func (c *Config) validateCluster(bad func(key, format string, args ...any)) {
	if !c.Clustered() {
		return
	}
	if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		bad("REDIS_URL", "want redis://[user:password@]host:port/db or rediss://...")
	}
	if c.SessionKey == "" {
		bad("SESSION_KEY", "required with REDIS_URL: every node must use the same one")
	}
	if (c.TURNEmbedded() || len(c.TURNURLs) > 0) && c.TURNSecret == "" {
		bad("TURN_SECRET", "required with REDIS_URL: every node must use the same one")
	}
	if c.RedisTimeout <= 0 {
		bad("REDIS_TIMEOUT", "must be positive")
	}
	if c.ClusterOfflineBound < ClusterOfflineBoundMin {
		bad("CLUSTER_OFFLINE_BOUND", "want at least %s, got %s", ClusterOfflineBoundMin, c.ClusterOfflineBound)
	}
	if c.RedisPrefix == "" {
		bad("REDIS_PREFIX", "must not be empty")
	}
}
