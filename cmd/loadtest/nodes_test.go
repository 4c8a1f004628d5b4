package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSeveralNodesFlags(t *testing.T) {
	c, err := parseConfig([]string{"-url", "http://127.0.0.1:1, http://127.0.0.1:2/", "-pid", "11,22", "-redis-pid", "33",
		"-placement", "cross"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.URLs, []string{"http://127.0.0.1:1", "http://127.0.0.1:2"}) || !slices.Equal(c.PIDs, []int{11, 22}) ||
		c.RedisPID != 33 || c.Placement != placementCross {
		t.Errorf("parsed %q, pids %v, redis %d, placement %q", c.URLs, c.PIDs, c.RedisPID, c.Placement)
	}
	// One URL, as before: no pid, or the old default 0, or one.
	for _, args := range [][]string{{}, {"-pid", "0"}, {"-pid", "42"}} {
		c, err := parseConfig(args, io.Discard)
		if err != nil || len(c.URLs) != 1 || c.URLs[0] != "http://127.0.0.1:8080" || c.Placement != placementSpread {
			t.Errorf("%v: %+v, %v", args, c, err)
		}
		if want := len(args) == 2 && args[1] != "0"; (len(c.PIDs) == 1) != want {
			t.Errorf("%v: pids %v", args, c.PIDs)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-url", "http://127.0.0.1:1,"}, "want http"},
		{[]string{"-url", "http://127.0.0.1:1,ftp://127.0.0.1:2"}, "want http"},
		{[]string{"-url", "http://127.0.0.1:1,http://192.0.2.10:2"}, "loopback"},
		{[]string{"-pid", "12,x"}, "process ids"},
		{[]string{"-pid", "-3"}, "process ids"},
		{[]string{"-url", "http://127.0.0.1:1,http://127.0.0.1:2", "-pid", "1,2,3"}, "one per node"},
		{[]string{"-placement", "cross"}, "two or more nodes"},
		{[]string{"-placement", "diagonal"}, "want spread, same or cross"},
		{[]string{"-url", "http://127.0.0.1:1,http://127.0.0.1:2", "-workload", "fanout", "-placement", "same"}, "made of pairs"},
		{[]string{"-redis-pid", "-1"}, "must not be negative"},
	} {
		if _, err := parseConfig(tc.args, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	// Several processes behind one URL (a balancer) are fine, and so is
	// a churn or rooms run placed like pairs.
	for _, args := range [][]string{
		{"-pid", "1,2"},
		{"-url", "http://127.0.0.1:1,http://127.0.0.1:2", "-workload", "rooms", "-placement", "same"},
		{"-url", "http://127.0.0.1:1,http://127.0.0.1:2", "-workload", "churn", "-placement", "cross", "-pid", "5"},
	} {
		if _, err := parseConfig(args, io.Discard); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}

func TestNodeForPlacesPairs(t *testing.T) {
	for _, tc := range []struct {
		placement string
		nodes     int
		want      []int // nodes of users 0..7: pairs (0,1) (2,3) (4,5) (6,7)
	}{
		{placementSpread, 1, []int{0, 0, 0, 0, 0, 0, 0, 0}},
		{placementSame, 1, []int{0, 0, 0, 0, 0, 0, 0, 0}},
		{placementSpread, 2, []int{0, 1, 0, 1, 0, 1, 0, 1}},
		{placementSame, 2, []int{0, 0, 1, 1, 0, 0, 1, 1}},
		{placementCross, 2, []int{0, 1, 1, 0, 0, 1, 1, 0}},
		{placementSpread, 3, []int{0, 1, 2, 0, 1, 2, 0, 1}},
		{placementSame, 3, []int{0, 0, 1, 1, 2, 2, 0, 0}},
		{placementCross, 3, []int{0, 1, 1, 2, 2, 0, 0, 1}},
	} {
		got := make([]int, len(tc.want))
		for i := range got {
			got[i] = nodeFor(tc.placement, tc.nodes, i)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s over %d nodes: %v, want %v", tc.placement, tc.nodes, got, tc.want)
		}
	}
	// Every pair of a cross placement spans two nodes, each node has as
	// many users as the next, whatever the number of nodes.
	for nodes := 2; nodes <= 5; nodes++ {
		for _, placement := range []string{placementSame, placementCross} {
			count := make([]int, nodes)
			for k := range 10 * nodes {
				a, b := nodeFor(placement, nodes, 2*k), nodeFor(placement, nodes, 2*k+1)
				if (a == b) != (placement == placementSame) {
					t.Errorf("%s, %d nodes: pair %d on nodes %d and %d", placement, nodes, k, a, b)
				}
				count[a]++
				count[b]++
			}
			if slices.Min(count) != slices.Max(count) {
				t.Errorf("%s, %d nodes: users per node %v", placement, nodes, count)
			}
		}
	}
}

func TestUsagePerNodeAndRedis(t *testing.T) {
	t0 := time.Now()
	at := func(node1, node2, redis, tool time.Duration, busy time.Duration, d time.Duration) serverSample {
		procs := []procSample{{CPU: node1, RSS: 10 << 20}, {CPU: node2, RSS: 20 << 20}}
		return serverSample{
			procs: procs, proc: sumProcs(procs), redis: procSample{CPU: redis},
			self: procSample{CPU: tool, At: t0.Add(d)}, machine: machineSample{Busy: busy, Total: 100 * time.Second},
		}
	}
	before := at(time.Second, time.Second, time.Second, time.Second, 10*time.Second, 0)
	after := at(3*time.Second, 2*time.Second, 1500*time.Millisecond, 2*time.Second, 16*time.Second, 10*time.Second)
	p := &serverProbe{pids: []int{11, 22}, urls: []string{"http://a", "http://b"}, redisPID: 33}
	u := p.usage(before, after, 100000)
	// The servers' 3 s in all, the tool's 1 s, Redis's 0.5 s: 1.5 s of the
	// machine's 6 s busy were other processes'.
	if u.CPUSeconds != 3 || u.CPUPerUnitUS != 30 || u.CPUPercent != 30 || u.OtherCPU != 15 || u.RSSBefore != 30<<20 {
		t.Errorf("usage = %+v", u)
	}
	want := []procUsage{
		{PID: 11, URL: "http://a", CPUSeconds: 2, CPUPercent: 20, CPUPerUnitUS: 20},
		{PID: 22, URL: "http://b", CPUSeconds: 1, CPUPercent: 10, CPUPerUnitUS: 10},
	}
	if !slices.Equal(u.Nodes, want) {
		t.Errorf("nodes = %+v, want %+v", u.Nodes, want)
	}
	if r := u.Redis; r == nil || *r != (procUsage{PID: 33, CPUSeconds: 0.5, CPUPercent: 5, CPUPerUnitUS: 5}) {
		t.Errorf("redis = %+v", r)
	}
	// One server process: no split, no Redis.
	p = &serverProbe{pids: []int{11}}
	before.procs, after.procs = before.procs[:1], after.procs[:1]
	before.proc, after.proc = sumProcs(before.procs), sumProcs(after.procs)
	if u := p.usage(before, after, 100000); u.Nodes != nil || u.Redis != nil || u.CPUSeconds != 2 {
		t.Errorf("one node: %+v", u)
	}
}
