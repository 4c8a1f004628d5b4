package signal

import "sync"

// pendingCount counts, per client address, the connections that have
// upgraded but not yet sent User/Connect, so that one address cannot hold
// more than max of them. It has a mutex of its own rather than living on
// the loop: Serve decides before the upgrade, and a refusal must not wait
// for a loop that may be busy.
type pendingCount struct {
	mu  sync.Mutex
	max int
	n   map[string]int // an address without an entry has none
}

func newPendingCount(max int) *pendingCount {
	return &pendingCount{max: max, n: make(map[string]int)}
}

// acquire takes a place for addr; false if addr holds max already.
func (p *pendingCount) acquire(addr string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[addr] >= p.max {
		return false
	}
	p.n[addr]++
	return true
}

// release gives back a place acquire took; an address with none left is
// forgotten, so that the map holds only addresses connecting now.
func (p *pendingCount) release(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[addr]--; p.n[addr] <= 0 {
		delete(p.n, addr)
	}
}
