package main

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

func TestParseProcFiles(t *testing.T) {
	// A command name with spaces and parentheses must not shift the fields.
	stat := "4242 (call app (x)) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 9 0 100 0 0"
	cpu, err := parseStatCPU([]byte(stat))
	if err != nil || cpu != 3*time.Second {
		t.Errorf("parseStatCPU = %v, %v; want 3s (300 ticks)", cpu, err)
	}
	if _, err := parseStatCPU([]byte("4242 (x) S 1")); err == nil {
		t.Error("short stat line: no error")
	}
	status := "Name:\tcallapp\nVmPeak:\t  900 kB\nVmRSS:\t   12345 kB\nThreads:\t9\n"
	if got := parseStatusKB([]byte(status), "VmRSS:"); got != 12345 {
		t.Errorf("VmRSS = %d", got)
	}
	if got := parseStatusKB([]byte(status), "VmSwap:"); got != 0 {
		t.Errorf("missing key = %d", got)
	}
	m, err := parseProcStat([]byte("cpu  100 10 50 1000 5 1 4 30 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"))
	if err != nil || m.Busy != 1650*time.Millisecond || m.Steal != 300*time.Millisecond || m.Total != 12*time.Second {
		t.Errorf("parseProcStat = %+v, %v", m, err)
	}
	if _, err := parseProcStat([]byte("intr 1 2 3\n")); err == nil {
		t.Error("no cpu line: no error")
	}
}

func TestParseMetricsKeepsUnlabeledSamples(t *testing.T) {
	page := `# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 10012
go_memstats_heap_inuse_bytes 1.2e+08
callapp_messages_in_total{method="Message/Offer"} 42
bad line here
`
	m := parseMetrics(bufio.NewScanner(strings.NewReader(page)))
	if len(m) != 2 || m["go_goroutines"] != 10012 || m["go_memstats_heap_inuse_bytes"] != 1.2e8 {
		t.Errorf("parseMetrics = %v", m)
	}
}

func TestUsageDividesByUnits(t *testing.T) {
	t0 := time.Now()
	before := serverSample{
		proc: procSample{CPU: time.Second, RSS: 10 << 20}, self: procSample{CPU: time.Second, At: t0},
		machine: machineSample{Busy: 10 * time.Second, Steal: time.Second, Total: 100 * time.Second},
	}
	after := serverSample{
		proc: procSample{CPU: 3 * time.Second, RSS: 20 << 20}, self: procSample{CPU: 2 * time.Second, At: t0.Add(10 * time.Second)},
		machine: machineSample{Busy: 14 * time.Second, Steal: 2 * time.Second, Total: 120 * time.Second},
	}
	u := (&serverProbe{pids: []int{1}}).usage(before, after, 100000)
	if u.CPUSeconds != 2 || u.CPUPercent != 20 || u.CPUPerUnitUS != 20 || u.ToolCPU != 10 ||
		u.OtherCPU != 10 || u.StealPercent != 5 || u.RSSAfter-u.RSSBefore != 10<<20 {
		t.Errorf("usage = %+v", u)
	}
	// Without -pid the server's CPU is unknown and counts as other.
	before.proc, after.proc = procSample{}, procSample{}
	if u := (&serverProbe{}).usage(before, after, 100000); u.CPUPerUnitUS != 0 || u.OtherCPU != 30 {
		t.Errorf("without a pid: %+v", u)
	}
}
