package ice

import (
	"sync"
	"sync/atomic"
)

// Stats counts the embedded server's relays, for the admin dashboard and
// metrics.
type Stats struct {
	Active         int    `json:"active"`         // allocations open now
	Users          int    `json:"users"`          // users with an open allocation
	Created        uint64 `json:"created"`        // allocations opened since start
	AuthFailures   uint64 `json:"authFailures"`   // requests with expired, forged or malformed credentials
	QuotaRefusals  uint64 `json:"quotaRefusals"`  // allocations refused by a limit
	PeerDenials    uint64 `json:"peerDenials"`    // permissions refused by the deny-list
	DroppedPackets uint64 `json:"droppedPackets"` // packets over the bandwidth limit
}

// counters are the monotonic half of Stats.
type counters struct {
	created, authFailures, quotaRefusals, peerDenials, dropped atomic.Uint64
}

// limits holds the open allocations per user. Pion asks its quota hook
// before it creates an allocation and tells nobody when creating fails, so
// counting there could leak slots; a slot is instead taken when the relay
// socket opens and given back when it closes, which pion does for every
// allocation however it ends.
type limits struct {
	maxTotal, maxPerUser int

	mu      sync.Mutex
	total   int
	perUser map[string]int
}

func newLimits(maxTotal, maxPerUser int) *limits {
	return &limits{maxTotal: maxTotal, maxPerUser: maxPerUser, perUser: map[string]int{}}
}

// room reports whether user may open one more allocation now.
func (l *limits) room(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total < l.maxTotal && l.perUser[user] < l.maxPerUser
}

// acquire takes a slot for user if there is room.
func (l *limits) acquire(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.maxTotal || l.perUser[user] >= l.maxPerUser {
		return false
	}
	l.total++
	l.perUser[user]++
	return true
}

// release gives back a slot acquire took.
func (l *limits) release(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perUser[user]--; l.perUser[user] <= 0 {
		delete(l.perUser, user)
	}
}

func (l *limits) counts() (total, users int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, len(l.perUser)
}
