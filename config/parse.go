package config

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

const envPrefix = "CALLAPP_"

// option binds one KEY to one field. The file and the environment use the
// same keys; the README's configuration table is this list.
type option struct {
	key    string
	secret bool
	get    func(*Config) string
	set    func(*Config, string) error
}

func str(key string, f func(*Config) *string) option {
	return option{key: key,
		get: func(c *Config) string { return *f(c) },
		set: func(c *Config, v string) error { *f(c) = v; return nil }}
}

func secret(key string, f func(*Config) *string) option {
	o := str(key, f)
	o.secret = true
	return o
}

func integer(key string, f func(*Config) *int) option {
	return option{key: key,
		get: func(c *Config) string { return strconv.Itoa(*f(c)) },
		set: func(c *Config, v string) (err error) { *f(c), err = strconv.Atoi(v); return err }}
}

func int64opt(key string, f func(*Config) *int64) option {
	return option{key: key,
		get: func(c *Config) string { return strconv.FormatInt(*f(c), 10) },
		set: func(c *Config, v string) (err error) { *f(c), err = strconv.ParseInt(v, 10, 64); return err }}
}

func float(key string, f func(*Config) *float64) option {
	return option{key: key,
		get: func(c *Config) string { return strconv.FormatFloat(*f(c), 'g', -1, 64) },
		set: func(c *Config, v string) (err error) { *f(c), err = strconv.ParseFloat(v, 64); return err }}
}

func boolean(key string, f func(*Config) *bool) option {
	return option{key: key,
		get: func(c *Config) string { return strconv.FormatBool(*f(c)) },
		set: func(c *Config, v string) (err error) { *f(c), err = strconv.ParseBool(v); return err }}
}

func duration(key string, f func(*Config) *time.Duration) option {
	return option{key: key,
		get: func(c *Config) string { return f(c).String() },
		set: func(c *Config, v string) (err error) { *f(c), err = time.ParseDuration(v); return err }}
}

func list(key string, f func(*Config) *[]string) option {
	return option{key: key,
		get: func(c *Config) string { return strings.Join(*f(c), ",") },
		set: func(c *Config, v string) error {
			*f(c) = nil
			for _, item := range strings.Split(v, ",") {
				if item = strings.TrimSpace(item); item != "" {
					*f(c) = append(*f(c), item)
				}
			}
			return nil
		}}
}

var options = []option{
	str("LISTEN", func(c *Config) *string { return &c.Listen }),
	str("DATA_DIR", func(c *Config) *string { return &c.DataDir }),
	str("BASE_URL", func(c *Config) *string { return &c.BaseURL }),
	str("DB_DRIVER", func(c *Config) *string { return &c.DBDriver }),
	str("DB_DSN", func(c *Config) *string { return &c.DBDSN }),
	integer("DB_MAX_OPEN_CONNS", func(c *Config) *int { return &c.DBMaxOpenConns }),
	integer("DB_MAX_IDLE_CONNS", func(c *Config) *int { return &c.DBMaxIdleConns }),
	duration("DB_TIMEOUT", func(c *Config) *time.Duration { return &c.DBTimeout }),
	str("TLS_CERT", func(c *Config) *string { return &c.TLSCert }),
	str("TLS_KEY", func(c *Config) *string { return &c.TLSKey }),
	boolean("TLS_SELF_SIGNED", func(c *Config) *bool { return &c.TLSSelfSigned }),
	str("LOG_LEVEL", func(c *Config) *string { return &c.LogLevel }),
	str("LOG_FORMAT", func(c *Config) *string { return &c.LogFormat }),
	duration("SESSION_TTL", func(c *Config) *time.Duration { return &c.SessionTTL }),
	secret("SESSION_KEY", func(c *Config) *string { return &c.SessionKey }),
	boolean("REGISTRATION_OPEN", func(c *Config) *bool { return &c.RegistrationOpen }),
	list("ADMIN_USERNAMES", func(c *Config) *[]string { return &c.AdminUsernames }),
	list("ALLOWED_ORIGINS", func(c *Config) *[]string { return &c.AllowedOrigins }),
	list("ALLOWED_HOSTS", func(c *Config) *[]string { return &c.AllowedHosts }),
	list("TRUSTED_PROXIES", func(c *Config) *[]string { return &c.TrustedProxies }),
	int64opt("MAX_BODY_BYTES", func(c *Config) *int64 { return &c.MaxBodyBytes }),
	integer("BCRYPT_COST", func(c *Config) *int { return &c.BcryptCost }),
	integer("BCRYPT_PARALLEL", func(c *Config) *int { return &c.BcryptParallel }),
	integer("BCRYPT_MAX_WAITING", func(c *Config) *int { return &c.BcryptMaxWaiting }),
	duration("HTTP_READ_TIMEOUT", func(c *Config) *time.Duration { return &c.HTTPReadTimeout }),
	duration("HTTP_WRITE_TIMEOUT", func(c *Config) *time.Duration { return &c.HTTPWriteTimeout }),
	duration("HTTP_IDLE_TIMEOUT", func(c *Config) *time.Duration { return &c.HTTPIdleTimeout }),
	integer("HTTP_MAX_HEADER_BYTES", func(c *Config) *int { return &c.HTTPMaxHeaderBytes }),
	integer("LOGIN_MAX_USER_FAILURES", func(c *Config) *int { return &c.LoginMaxUserFailures }),
	integer("LOGIN_MAX_IP_FAILURES", func(c *Config) *int { return &c.LoginMaxIPFailures }),
	duration("LOGIN_WINDOW", func(c *Config) *time.Duration { return &c.LoginWindow }),
	integer("LOGIN_ACCOUNT_SLOWDOWN_AFTER", func(c *Config) *int { return &c.LoginAccountSlowdownAfter }),
	duration("LOGIN_ACCOUNT_MAX_DELAY", func(c *Config) *time.Duration { return &c.LoginAccountMaxDelay }),
	duration("WS_PING_INTERVAL", func(c *Config) *time.Duration { return &c.WSPingInterval }),
	duration("WS_PONG_WAIT", func(c *Config) *time.Duration { return &c.WSPongWait }),
	duration("WS_WRITE_WAIT", func(c *Config) *time.Duration { return &c.WSWriteWait }),
	duration("WS_CONNECT_TIMEOUT", func(c *Config) *time.Duration { return &c.WSConnectTimeout }),
	int64opt("WS_MAX_MESSAGE", func(c *Config) *int64 { return &c.WSMaxMessage }),
	integer("WS_SEND_QUEUE", func(c *Config) *int { return &c.WSSendQueue }),
	float("WS_MESSAGE_RATE", func(c *Config) *float64 { return &c.WSMessageRate }),
	integer("WS_MESSAGE_BURST", func(c *Config) *int { return &c.WSMessageBurst }),
	float("CHAT_RATE", func(c *Config) *float64 { return &c.ChatRate }),
	integer("CHAT_BURST", func(c *Config) *int { return &c.ChatBurst }),
	duration("CALL_RING_TIMEOUT", func(c *Config) *time.Duration { return &c.CallRingTimeout }),
	integer("CALL_RECORD_QUEUE", func(c *Config) *int { return &c.CallRecordQueue }),
	duration("CALL_HEARTBEAT", func(c *Config) *time.Duration { return &c.CallHeartbeat }),
	duration("CALL_RESUME_GRACE", func(c *Config) *time.Duration { return &c.CallResumeGrace }),
	duration("CALL_MEDIA_TIMEOUT", func(c *Config) *time.Duration { return &c.CallMediaTimeout }),
	duration("PRESENCE_TICK", func(c *Config) *time.Duration { return &c.PresenceTick }),
	float("PRESENCE_RATE", func(c *Config) *float64 { return &c.PresenceRate }),
	integer("ROOM_CAPACITY", func(c *Config) *int { return &c.RoomCapacity }),
	list("METRICS", func(c *Config) *[]string { return &c.Metrics }),
	list("STUN_URLS", func(c *Config) *[]string { return &c.STUNURLs }),
	integer("WS_MAX_PENDING_PER_IP", func(c *Config) *int { return &c.WSMaxPendingPerIP }),
	integer("LIVE_MAX_VIEWERS", func(c *Config) *int { return &c.LiveMaxViewers }),
	boolean("TURN_ENABLED", func(c *Config) *bool { return &c.TURNEnabled }),
	str("TURN_LISTEN", func(c *Config) *string { return &c.TURNListen }),
	str("TURN_REALM", func(c *Config) *string { return &c.TURNRealm }),
	str("TURN_PUBLIC_IP", func(c *Config) *string { return &c.TURNPublicIP }),
	integer("TURN_RELAY_PORT_MIN", func(c *Config) *int { return &c.TURNRelayPortMin }),
	integer("TURN_RELAY_PORT_MAX", func(c *Config) *int { return &c.TURNRelayPortMax }),
	secret("TURN_SECRET", func(c *Config) *string { return &c.TURNSecret }),
	duration("TURN_CREDENTIAL_TTL", func(c *Config) *time.Duration { return &c.TURNCredentialTTL }),
	list("TURN_URLS", func(c *Config) *[]string { return &c.TURNURLs }),
	boolean("TURN_ALLOW_PRIVATE", func(c *Config) *bool { return &c.TURNAllowPrivate }),
	boolean("TURN_ALLOW_LOOPBACK", func(c *Config) *bool { return &c.TURNAllowLoopback }),
	integer("TURN_MAX_ALLOCATIONS", func(c *Config) *int { return &c.TURNMaxAllocations }),
	integer("TURN_MAX_ALLOCATIONS_PER_USER", func(c *Config) *int { return &c.TURNMaxAllocationsPerUser }),
	integer("TURN_ALLOCATION_KBPS", func(c *Config) *int { return &c.TURNAllocationKbps }),
	secret("REDIS_URL", func(c *Config) *string { return &c.RedisURL }),
	str("REDIS_PREFIX", func(c *Config) *string { return &c.RedisPrefix }),
	duration("REDIS_TIMEOUT", func(c *Config) *time.Duration { return &c.RedisTimeout }),
	duration("CLUSTER_OFFLINE_BOUND", func(c *Config) *time.Duration { return &c.ClusterOfflineBound }),
	str("NODE_ID", func(c *Config) *string { return &c.NodeID }),
}

// Load returns the defaults overlaid by the file at path (if path is not
// empty) and then by environ, a list of KEY=value pairs as os.Environ gives.
func Load(path string, environ []string) (*Config, error) {
	c := Default()
	if path != "" {
		if err := c.loadFile(path); err != nil {
			return nil, err
		}
	}
	for _, kv := range environ {
		key, value, _ := strings.Cut(kv, "=")
		// CALLAPP_CONFIG names the file; CALLAPP_TEST_* belong to the tests.
		if strings.HasPrefix(key, envPrefix) && key != envPrefix+"CONFIG" && !strings.HasPrefix(key, envPrefix+"TEST_") {
			if err := c.set(key, value); err != nil {
				return nil, fmt.Errorf("config: environment: %w", err)
			}
		}
	}
	return c, c.Validate()
}

func (c *Config) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("config: %s:%d: want KEY=value", path, n)
		}
		key = strings.TrimSpace(key)
		if !strings.HasPrefix(key, envPrefix) {
			key = envPrefix + key
		}
		if err := c.set(key, strings.TrimSpace(value)); err != nil {
			return fmt.Errorf("config: %s:%d: %w", path, n, err)
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	return nil
}

func (c *Config) set(key, value string) error {
	name := strings.TrimPrefix(key, envPrefix)
	for _, o := range options {
		if o.key == name {
			if err := o.set(c, value); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			return nil
		}
	}
	return fmt.Errorf("%s: unknown setting", key)
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
