package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Placements of -placement: which node each user of a pair connects to.
const (
	placementSpread = "spread" // user i on node i mod N, whatever it belongs to
	placementSame   = "same"   // both parties of pair k on node k mod N
	placementCross  = "cross"  // pair k's parties on nodes k and k+1 mod N
)

// parseURLs splits -url into the nodes' base URLs.
func parseURLs(list string) ([]string, error) {
	var urls []string
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimRight(strings.TrimSpace(raw), "/")
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("-url %q: want http://host:port or https://host:port, comma-separated for several nodes", list)
		}
		urls = append(urls, raw)
	}
	return urls, nil
}

// parsePIDs splits -pid into process ids; "" and "0" (the old default)
// mean none.
func parsePIDs(list string) ([]int, error) {
	if list = strings.TrimSpace(list); list == "" || list == "0" {
		return nil, nil
	}
	var pids []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-pid %q: want process ids, comma-separated", list)
		}
		pids = append(pids, n)
	}
	return pids, nil
}

// checkPlacement says whether placement fits the workload and the nodes.
func checkPlacement(placement, workload string, nodes int) error {
	switch placement {
	case placementSpread:
		return nil
	case placementSame, placementCross:
	default:
		return fmt.Errorf("-placement %q: want spread, same or cross", placement)
	}
	switch workload {
	case workloadPairs, workloadChurn, workloadRooms:
	default:
		return fmt.Errorf("-placement %s: only pairs, churn and rooms are made of pairs", placement)
	}
	if placement == placementCross && nodes < 2 {
		return errors.New("-placement cross needs two or more nodes in -url")
	}
	return nil
}

// nodeFor returns the node (an index into -url) the run's user idx
// connects to. Users 2k and 2k+1 are pair k in pairs, churn and rooms.
func nodeFor(placement string, nodes, idx int) int {
	if nodes <= 1 {
		return 0
	}
	switch placement {
	case placementSame:
		return (idx / 2) % nodes
	case placementCross:
		return (idx/2 + idx%2) % nodes
	}
	return idx % nodes
}

// procUsage is what one process (a node, or Redis) spent over a stretch.
type procUsage struct {
	PID          int     `json:"pid"`
	URL          string  `json:"url,omitempty"` // the node's, when -pid lists one per -url
	CPUSeconds   float64 `json:"cpu_seconds"`
	CPUPercent   float64 `json:"cpu_percent_of_one_core"`
	CPUPerUnitUS float64 `json:"cpu_us_per_unit"`
}

// procDelta compares two samples of one process.
func procDelta(pid int, before, after procSample, wall float64, units int64) procUsage {
	u := procUsage{PID: pid, CPUSeconds: (after.CPU - before.CPU).Seconds()}
	if wall > 0 {
		u.CPUPercent = 100 * u.CPUSeconds / wall
	}
	if units > 0 {
		u.CPUPerUnitUS = u.CPUSeconds * 1e6 / float64(units)
	}
	return u
}

// sumProcs adds the CPU time and memory of several processes' samples.
func sumProcs(samples []procSample) procSample {
	var s procSample
	for _, p := range samples {
		s.CPU += p.CPU
		s.RSS += p.RSS
		s.At = p.At
	}
	return s
}
