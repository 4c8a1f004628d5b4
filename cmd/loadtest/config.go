package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"callapp/dao"
)

// Workloads the tool runs.
const (
	workloadPairs  = "pairs"
	workloadFanout = "fanout"
	workloadIdle   = "idle"
	workloadChurn  = "churn"
	workloadRooms  = "rooms"
	workloadLive   = "live"
)

// settings is every flag, parsed and checked.
type settings struct {
	URL         string   // the server's base URL, or several nodes' comma-separated
	URLs        []string // URL split: one per node
	Placement   string   // which node each user connects to (nodes.go)
	Workload    string
	AllowRemote bool
	Insecure    bool // skip TLS verification (self-signed servers)
	Compress    bool // offer permessage-deflate, as browsers do
	Timeout     time.Duration
	JSON        bool
	JSONFile    string // also write the JSON report here
	CPUProfile  string // the load tool's own profile, to see whether it is the bottleneck

	// Accounts.
	Prefix         string
	FirstAccount   int
	Password       string
	Concurrency    int    // logins or dials at once
	CreateDB       string // SQLite file or MySQL DSN: seed accounts there
	BcryptCost     int    // of the one hash seeded accounts share
	DBDriver       string
	SessionKeyFile string // with CreateDB: start sessions in the database too
	DataDir        string // the server's DATA_DIR: sets CreateDB and SessionKeyFile

	// pairs and churn.
	Pairs        int
	Rate         float64 // messages per second offered, all pairs together
	Duration     time.Duration
	PayloadBytes int
	Senders      int
	Drain        time.Duration
	FindMax      bool
	Runs         int
	StepFactor   float64
	MaxRate      float64
	Refine       int
	P99Limit     time.Duration
	StepPause    time.Duration
	BusyRepeats  int // failed steps repeated when the machine was busy
	LoginFlood   int // concurrent logins hammering the server during the run

	// fanout.
	Users    int
	Interval time.Duration

	// idle.
	Conns  int
	Settle time.Duration

	// churn.
	ChurnUsers int
	ChurnRate  float64
	ChurnHold  time.Duration

	// rooms.
	Rooms int

	// live.
	Viewers int

	// Server observation.
	PIDs       []int // the nodes' processes: CPU summed, and per node
	RedisPID   int   // Redis's process: its CPU reported apart
	MetricsURL string
}

// parseConfig reads the flags.
func parseConfig(args []string, stderr io.Writer) (*settings, error) {
	c := &settings{}
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs, stderr) }
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "server base URL; several nodes' comma-separated, users assigned by -placement (accounts and logins go through the first)")
	fs.StringVar(&c.Placement, "placement", placementSpread, "with several -url nodes: spread (user i on node i mod N), or for pairs, churn and rooms same (both parties of a pair on one node) or cross (on two different nodes)")
	fs.StringVar(&c.Workload, "workload", workloadPairs, "pairs, fanout, idle, churn, rooms or live")
	fs.BoolVar(&c.AllowRemote, "allow-remote", false, "allow a target that is not on loopback")
	fs.BoolVar(&c.Insecure, "insecure", false, "accept the server's self-signed TLS certificate")
	fs.BoolVar(&c.Compress, "compress", true, "offer permessage-deflate, as every browser does (-compress=false: plain frames)")
	fs.DurationVar(&c.Timeout, "timeout", 20*time.Minute, "hard limit on the whole run")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON instead of a table")
	fs.StringVar(&c.JSONFile, "json-file", "", "also write the JSON report to this file")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write the load tool's own CPU profile to this file")

	fs.StringVar(&c.Prefix, "prefix", "lt-", "account name prefix; accounts are PREFIX00001, PREFIX00002, ...")
	fs.IntVar(&c.FirstAccount, "first-account", 1, "number of the first account")
	fs.StringVar(&c.Password, "password", "loadtest-password", "password shared by every account")
	fs.IntVar(&c.Concurrency, "concurrency", 32, "logins or websocket dials in flight at once")
	fs.StringVar(&c.CreateDB, "create-db", "", "seed accounts directly in this database (SQLite file, or MySQL DSN with -db-driver mysql) instead of registering them")
	fs.IntVar(&c.BcryptCost, "bcrypt-cost", 11, "with -create-db: bcrypt cost of the seeded accounts' password hash; the server's default (11) makes their logins cost what real ones do")
	fs.StringVar(&c.DBDriver, "db-driver", dao.DriverSQLite, "driver for -create-db: sqlite or mysql")
	fs.StringVar(&c.SessionKeyFile, "session-key-file", "", "with -create-db: the server's session key (DATA_DIR/session.key); sessions are then made in the database, skipping bcrypt logins")
	fs.StringVar(&c.DataDir, "data-dir", "", "the server's DATA_DIR: short for -create-db DIR/callapp.db -session-key-file DIR/session.key")

	fs.IntVar(&c.Pairs, "pairs", 100, "pairs in calls (pairs, churn)")
	fs.Float64Var(&c.Rate, "rate", 10000, "relayed messages per second offered, all pairs together; the start rate of -find-max")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long each run or step sends")
	fs.IntVar(&c.PayloadBytes, "payload", 600, "size of each offer/answer/candidate envelope, bytes")
	fs.IntVar(&c.Senders, "senders", 2, "pacing goroutines, each sending for its share of the pairs")
	fs.DurationVar(&c.Drain, "drain", 2*time.Second, "how long to wait for messages in flight after sending stops; later ones count as lost")
	fs.BoolVar(&c.FindMax, "find-max", false, "pairs: raise the rate until p99 exceeds -p99 or a message is lost")
	fs.IntVar(&c.Runs, "runs", 1, "with -find-max: searches to run; the median best rate is reported")
	fs.Float64Var(&c.StepFactor, "step", 1.25, "with -find-max: rate multiplier between steps")
	fs.Float64Var(&c.MaxRate, "max-rate", 200000, "with -find-max: highest rate tried")
	fs.IntVar(&c.Refine, "refine", 2, "with -find-max: bisection steps after the first failure")
	fs.DurationVar(&c.P99Limit, "p99", 50*time.Millisecond, "with -find-max: the p99 latency a step must stay under")
	fs.DurationVar(&c.StepPause, "step-pause", time.Second, "with -find-max: quiet time between steps")
	fs.IntVar(&c.BusyRepeats, "busy-repeats", 2, "with -find-max: times a failed step is repeated when other processes or steal time took the CPU during it")
	fs.IntVar(&c.LoginFlood, "login-flood", 0, "pairs, churn: logins kept in flight against POST /webrtc/login during the run")

	fs.IntVar(&c.Users, "users", 2000, "fanout: users online")
	fs.DurationVar(&c.Interval, "interval", 100*time.Millisecond, "fanout: time between chat messages (senders rotate through the users)")

	fs.IntVar(&c.Conns, "conns", 10000, "idle: connections to open")
	fs.DurationVar(&c.Settle, "settle", 3*time.Second, "idle, fanout: quiet time the server gets before memory is read or messages sent")

	fs.IntVar(&c.ChurnUsers, "churn-users", 200, "churn: accounts that come and go")
	fs.Float64Var(&c.ChurnRate, "churn-rate", 50, "churn: connections opened per second; live: viewers joining per second")
	fs.DurationVar(&c.ChurnHold, "churn-hold", 2*time.Second, "churn: how long each churning connection stays; live: how long each viewer watches")

	fs.IntVar(&c.Rooms, "rooms", 100, "rooms: rooms of two, each pair exchanging signaling at its share of -rate")
	fs.IntVar(&c.Viewers, "viewers", 100, "live: viewers of the one broadcast, joining at -churn-rate and each watching -churn-hold")

	var pids string
	fs.StringVar(&pids, "pid", "", "the server's process id on this machine: CPU time and memory from /proc; several nodes' comma-separated (CPU summed, and reported per node)")
	fs.IntVar(&c.RedisPID, "redis-pid", 0, "Redis's process id on this machine: its CPU reported apart from the nodes'")
	fs.StringVar(&c.MetricsURL, "metrics-url", "", "the server's Prometheus endpoint (optional), e.g. http://127.0.0.1:8080/metrics")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.PIDs, err = parsePIDs(pids); err != nil {
		return nil, err
	}
	if c.DataDir != "" {
		c.CreateDB = filepath.Join(c.DataDir, "callapp.db")
		c.SessionKeyFile = filepath.Join(c.DataDir, "session.key")
		c.DBDriver = dao.DriverSQLite
	}
	return c, c.validate()
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `loadtest drives a running callapp server over its real protocol, as real
users, and reports throughput, latency and (with -pid) the server's CPU and
memory. Every run is bounded by -duration, counts and -timeout, and stops by
itself. It refuses targets off loopback unless -allow-remote.

The server must allow the load: start it with per-connection limits above
what a connection sends, e.g.
  CALLAPP_WS_MESSAGE_RATE=100000 CALLAPP_WS_MESSAGE_BURST=100000 (pairs, churn,
    rooms, live)
  CALLAPP_LIVE_MAX_VIEWERS at least -churn-rate x -churn-hold (live: the viewers
    watching at once; the default 10 turns the rest away with 10034)
  CALLAPP_CHAT_RATE=100 CALLAPP_CHAT_BURST=100 (fanout with a short -interval)
  CALLAPP_LOGIN_MAX_IP_FAILURES=1000 (-concurrency or -login-flood above 20: every
    login in flight counts against its address until its password is checked)
  CALLAPP_WS_MAX_PENDING_PER_IP=100000 (every workload: its dials all come
    from one address, more than 16 at once with the default -concurrency)

Several nodes of one cluster: -url http://127.0.0.1:18443,http://127.0.0.1:18444
with -pid PID1,PID2 (and -redis-pid); pairs, churn and rooms put both parties
of a pair on one node or on two with -placement same|cross.

Usage: go run ./cmd/loadtest -workload pairs|fanout|idle|churn|rooms|live [flags]

`)
	fs.PrintDefaults()
}

func (c *settings) validate() error {
	switch c.Workload {
	case workloadPairs, workloadFanout, workloadIdle, workloadChurn, workloadRooms, workloadLive:
	default:
		return fmt.Errorf("-workload %q: want pairs, fanout, idle, churn, rooms or live", c.Workload)
	}
	var err error
	if c.URLs, err = parseURLs(c.URL); err != nil {
		return err
	}
	if err := checkPlacement(c.Placement, c.Workload, len(c.URLs)); err != nil {
		return err
	}
	if len(c.URLs) > 1 && len(c.PIDs) > 1 && len(c.PIDs) != len(c.URLs) {
		return fmt.Errorf("-pid lists %d processes for %d -url nodes: give one per node, in the same order", len(c.PIDs), len(c.URLs))
	}
	checks := []struct {
		ok   bool
		what string
	}{
		{c.Duration > 0 && c.Timeout > 0 && c.Drain >= 0 && c.Settle >= 0, "durations must be positive"},
		{c.Concurrency > 0 && c.Senders > 0 && c.Runs > 0, "-concurrency, -senders and -runs must be at least 1"},
		{c.Pairs > 0 && c.Rate > 0 && c.MaxRate >= c.Rate, "-pairs and -rate must be positive, -max-rate at least -rate"},
		{c.PayloadBytes >= 200 && c.PayloadBytes <= 60000, "-payload must be 200-60000 bytes"},
		{c.Users > 0 && c.Conns > 0 && c.Interval > 0, "-users, -conns and -interval must be positive"},
		{c.ChurnUsers > 0 && c.ChurnRate > 0 && c.ChurnHold > 0, "-churn-users, -churn-rate and -churn-hold must be positive"},
		{c.Rooms > 0 && c.Viewers > 0, "-rooms and -viewers must be positive"},
		{c.LoginFlood >= 0 && c.FirstAccount >= 0 && c.BusyRepeats >= 0 && c.RedisPID >= 0, "-login-flood, -first-account, -busy-repeats and -redis-pid must not be negative"},
		{c.SessionKeyFile == "" || c.CreateDB != "", "-session-key-file needs -create-db"},
		{c.BcryptCost >= 4 && c.BcryptCost <= 31, "-bcrypt-cost must be 4-31"},
		{len(c.Password) >= 8 && len(c.Password) <= 72, "-password must be 8-72 bytes"},
	}
	for _, ch := range checks {
		if !ch.ok {
			return errors.New(ch.what)
		}
	}
	if c.AllowRemote {
		return nil
	}
	for _, target := range c.targets() {
		if err := requireLoopback(target); err != nil {
			return err
		}
	}
	return nil
}

// targets lists every host the tool will connect to.
func (c *settings) targets() []string {
	var hosts []string
	for _, raw := range append(c.URLs[:len(c.URLs):len(c.URLs)], c.MetricsURL) {
		if u, err := url.Parse(raw); err == nil && raw != "" {
			hosts = append(hosts, u.Hostname())
		}
	}
	if c.CreateDB != "" && c.DBDriver == dao.DriverMySQL {
		host := "(unparsable DSN)"
		if cfg, err := mysql.ParseDSN(c.CreateDB); err == nil {
			host = cfg.Addr
			if h, _, err := net.SplitHostPort(cfg.Addr); err == nil {
				host = h
			}
			if cfg.Net == "unix" {
				host = "localhost"
			}
		}
		hosts = append(hosts, host)
	}
	return hosts
}

// requireLoopback refuses a host that is, or resolves to, anything but
// loopback: load is only ever sent to this machine unless asked.
func requireLoopback(host string) error {
	host = strings.Trim(host, "[]")
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil || len(addrs) == 0 {
			return fmt.Errorf("target %q does not resolve; use a loopback address", host)
		}
		ips = ips[:0]
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("target %q (%s) is not on loopback: refused without -allow-remote", host, ip)
		}
	}
	return nil
}

// accountsNeeded is how many accounts the workload logs in.
func (c *settings) accountsNeeded() int {
	switch c.Workload {
	case workloadFanout:
		return c.Users
	case workloadIdle:
		return c.Conns
	case workloadChurn:
		return 2*c.Pairs + c.ChurnUsers
	case workloadRooms:
		return 2 * c.Rooms
	case workloadLive:
		return 1 + c.Viewers
	}
	return 2 * c.Pairs
}
