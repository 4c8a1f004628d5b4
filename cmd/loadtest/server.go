package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat: USER_HZ, 100 on
// every Linux architecture Go runs on.
const userHZ = 100

// procSample is a process's CPU time and memory at one moment.
type procSample struct {
	CPU time.Duration // user + system
	RSS int64         // bytes
	At  time.Time
}

// readProc reads /proc/PID (or /proc/self for pid 0).
func readProc(pid int) (procSample, error) {
	dir := "/proc/self"
	if pid > 0 {
		dir = "/proc/" + strconv.Itoa(pid)
	}
	s := procSample{At: time.Now()}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return s, err
	}
	if s.CPU, err = parseStatCPU(stat); err != nil {
		return s, err
	}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return s, err
	}
	s.RSS = parseStatusKB(status, "VmRSS:") * 1024
	return s, nil
}

// parseStatCPU returns utime + stime from a /proc/PID/stat line. The
// command name (field 2) may hold spaces, so fields are counted from the
// last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("proc stat: no command field")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("proc stat: too few fields")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("proc stat: %w", err)
	}
	return time.Duration(utime+stime) * time.Second / userHZ, nil
}

// parseStatusKB returns the kB value of a /proc/PID/status line, or 0.
func parseStatusKB(status []byte, key string) int64 {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, key); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// machineSample is the whole machine's CPU time from /proc/stat, to tell
// a quiet machine from a busy one: other processes' work, and time the
// hypervisor gave no CPU at all (steal), both delay the server and the
// tool without showing in their own CPU time.
type machineSample struct {
	Busy  time.Duration // user, nice, system, irq, softirq: all cores
	Steal time.Duration
	Total time.Duration // everything, idle included
}

func readMachine() (machineSample, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineSample{}, err
	}
	return parseProcStat(b)
}

// parseProcStat reads the first ("cpu", all cores) line of /proc/stat.
func parseProcStat(b []byte) (machineSample, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return machineSample{}, errors.New("proc stat: no cpu line")
	}
	var v [8]int64 // user nice system idle iowait irq softirq steal
	for i := range v {
		n, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return machineSample{}, fmt.Errorf("proc stat: %w", err)
		}
		v[i] = n
	}
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / userHZ }
	return machineSample{
		Busy:  tick(v[0] + v[1] + v[2] + v[5] + v[6]),
		Steal: tick(v[7]),
		Total: tick(v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7]),
	}, nil
}

// serverProbe watches the server's processes (one per node) and Redis's,
// and, optionally, the server's metrics.
type serverProbe struct {
	pids       []int
	urls       []string // the node of each pid, when there is one per pid
	redisPID   int
	metricsURL string
	http       *http.Client
}

func newServerProbe(c *settings, client *http.Client) *serverProbe {
	p := &serverProbe{pids: c.PIDs, redisPID: c.RedisPID, metricsURL: c.MetricsURL, http: client}
	if len(c.PIDs) == len(c.URLs) {
		p.urls = c.URLs
	}
	return p
}

// serverSample is what the probe saw at one moment; fields it could not
// read are zero.
type serverSample struct {
	proc    procSample   // every node's together
	procs   []procSample // each node's, in -pid order
	redis   procSample
	self    procSample // the load tool itself
	machine machineSample
	metrics map[string]float64
}

func (p *serverProbe) sample(ctx context.Context) serverSample {
	var s serverSample
	for _, pid := range p.pids {
		ps, _ := readProc(pid)
		s.procs = append(s.procs, ps)
	}
	s.proc = sumProcs(s.procs)
	if p.redisPID > 0 {
		s.redis, _ = readProc(p.redisPID)
	}
	s.self, _ = readProc(0)
	s.machine, _ = readMachine()
	if p.metricsURL != "" {
		s.metrics, _ = p.scrape(ctx)
	}
	return s
}

// scrape reads the unlabeled samples of a Prometheus text page.
func (p *serverProbe) scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.metricsURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	return parseMetrics(bufio.NewScanner(resp.Body)), nil
}

// parseMetrics keeps "name value" lines: the process and Go runtime
// gauges the report uses have no labels.
func parseMetrics(sc *bufio.Scanner) map[string]float64 {
	m := map[string]float64{}
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 || strings.HasPrefix(f[0], "#") || strings.ContainsRune(f[0], '{') {
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil {
			m[f[0]] = v
		}
	}
	return m
}

// serverUsage is what the server spent over a stretch of a run.
type serverUsage struct {
	CPUSeconds   float64 `json:"cpu_seconds"`
	CPUPercent   float64 `json:"cpu_percent_of_one_core"`
	CPUPerUnitUS float64 `json:"cpu_us_per_unit"` // per delivered message or delivery
	ToolCPU      float64 `json:"tool_cpu_percent_of_one_core"`
	// OtherCPU is what everything but the server and the tool used, in
	// percent of one core; StealPercent the share of all cores' time the
	// hypervisor ran something else. Either well above zero means the
	// figures were taken on a busy machine.
	OtherCPU     float64 `json:"other_cpu_percent_of_one_core"`
	StealPercent float64 `json:"steal_percent"`
	RSSBefore    int64   `json:"rss_before_bytes,omitempty"`
	RSSAfter     int64   `json:"rss_after_bytes,omitempty"`
	// Nodes splits the figures above by node when -pid lists several;
	// Redis is its process's share, not counted in them.
	Nodes []procUsage `json:"nodes,omitempty"`
	Redis *procUsage  `json:"redis,omitempty"`
}

// usage compares two samples; units is what the CPU is divided by.
func (p *serverProbe) usage(before, after serverSample, units int64) serverUsage {
	var u serverUsage
	wall := after.self.At.Sub(before.self.At).Seconds()
	tool := (after.self.CPU - before.self.CPU).Seconds()
	u.CPUSeconds = (after.proc.CPU - before.proc.CPU).Seconds()
	var redis float64
	if p.redisPID > 0 {
		r := procDelta(p.redisPID, before.redis, after.redis, wall, units)
		u.Redis, redis = &r, r.CPUSeconds
	}
	if wall > 0 {
		u.ToolCPU = 100 * tool / wall
		if busy := (after.machine.Busy - before.machine.Busy).Seconds(); busy > 0 {
			u.OtherCPU = max(0, 100*(busy-tool-u.CPUSeconds-redis)/wall)
		}
	}
	if total := after.machine.Total - before.machine.Total; total > 0 {
		u.StealPercent = 100 * float64(after.machine.Steal-before.machine.Steal) / float64(total)
	}
	if len(p.pids) == 0 {
		return u // the server's CPU, unknown, is in OtherCPU
	}
	if len(p.pids) > 1 && len(before.procs) == len(p.pids) && len(after.procs) == len(p.pids) {
		for i, pid := range p.pids {
			n := procDelta(pid, before.procs[i], after.procs[i], wall, units)
			if p.urls != nil {
				n.URL = p.urls[i]
			}
			u.Nodes = append(u.Nodes, n)
		}
	}
	if wall > 0 {
		u.CPUPercent = 100 * u.CPUSeconds / wall
	}
	if units > 0 {
		u.CPUPerUnitUS = u.CPUSeconds * 1e6 / float64(units)
	}
	u.RSSBefore, u.RSSAfter = before.proc.RSS, after.proc.RSS
	return u
}
