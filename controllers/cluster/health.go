package cluster

import (
	"time"

	"callapp/controllers/signal"
)

// Health implements signal.Cluster.
func (r *Redis) Health() signal.Health {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.health
}

// current returns the life appends go to, and whether they may.
func (r *Redis) current() (life uint64, h signal.Health) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.life, r.health
}

// down marks the log unreachable for reason, unless it already is (the
// first reason stays) or r is stopping.
func (r *Redis) down(reason string) {
	r.notify.Lock()
	defer r.notify.Unlock()
	r.mu.Lock()
	if !r.health.Up || r.ctx.Err() != nil {
		r.mu.Unlock()
		return
	}
	r.health = signal.Health{Since: time.Now(), Reason: reason}
	h, in := r.health, r.in
	r.mu.Unlock()
	r.log.Warn("cluster: the log is unreachable", "reason", reason)
	in.HealthChanged(h)
}

// up marks the log reachable again, in life, unless this node is not
// listening on its channel yet (then it reports false: frames sent to it
// now would be lost). Only the reader calls it, after its life check.
func (r *Redis) up(life uint64) bool {
	r.notify.Lock()
	defer r.notify.Unlock()
	r.mu.Lock()
	r.life = life
	if !r.listening {
		r.mu.Unlock()
		return false
	}
	if r.health.Up || r.ctx.Err() != nil {
		r.mu.Unlock()
		return true
	}
	r.health = signal.Health{Up: true, Since: time.Now()}
	h, in := r.health, r.in
	r.mu.Unlock()
	r.log.Warn("cluster: the log is reachable again", "life", life)
	in.HealthChanged(h)
	return true
}
