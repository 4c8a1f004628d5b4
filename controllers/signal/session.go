package signal

import (
	"time"

	"callapp/models"
)

// reasonExpired is the close reason of a connection whose session expired.
const reasonExpired = "session expired"

// endingsKept is how long an ended session or user is remembered: longer
// than any request takes from its session lookup to its upgrade.
const endingsKept = time.Minute

// EndSession closes the connections opened with the session (a logout, a
// login that replaced it) with close code 4001 and reason, as Kick does.
// It returns once they are offline to everyone; one still being upgraded
// is closed when it arrives.
func (h *Hub) EndSession(sessionID uint64, reason string) {
	if sessionID == 0 {
		return // a connection without a session cannot be named
	}
	if h.clustered() {
		h.appendEnd(entry{Kind: entryEnd, Sess: sessionID, Reason: reason})
		return
	}
	h.do(func() { h.endSession(sessionID, reason) })
}

// endSession is EndSession on the loop.
func (h *Hub) endSession(sessionID uint64, reason string) {
	h.ended.sessions[sessionID] = ending{at: time.Now(), reason: reason}
	h.kickWhere(func(c *client) bool { return c.session == sessionID }, reason)
	h.settleAway(func(a *absence) bool { return a.session == sessionID })
}

// appendEnd has every node end what e names. A node that cannot reach the
// others ends it on its own connections at least: a logout must close
// the sockets it can.
func (h *Hub) appendEnd(e entry) {
	if h.appendEntry(e) == nil {
		return
	}
	h.opts.Logger.Warn("cluster: a session ended on this node only; the log is unreachable", "user", e.User, "session", e.Sess)
	h.do(func() {
		for c := range h.conns {
			if (e.Sess != 0 && c.session == e.Sess) || (e.Sess == 0 && c.user.ID == e.User && (e.Keep == 0 || c.session != e.Keep)) {
				c.goodbye(nil, models.CloseKicked, e.Reason)
			}
		}
	})
}

// EndUserSessions closes the user's connections but those opened with
// session keep (0 keeps none), as Kick does. A password change ends every
// session but the one it was made in.
func (h *Hub) EndUserSessions(userID, keep uint64, reason string) {
	if h.clustered() {
		h.appendEnd(entry{Kind: entryEnd, User: userID, Keep: keep, Reason: reason})
		return
	}
	h.do(func() { h.endUserSessions(userID, keep, reason) })
}

// endUserSessions is EndUserSessions on the loop.
func (h *Hub) endUserSessions(userID, keep uint64, reason string) {
	h.ended.users[userID] = ending{at: time.Now(), reason: reason, keep: keep}
	h.kickWhere(func(c *client) bool {
		return c.user.ID == userID && (keep == 0 || c.session != keep)
	}, reason)
	h.settleAway(func(a *absence) bool { return a.user.ID == userID && (keep == 0 || a.session != keep) })
}

// Kick closes the user's connections with close code 4001 and reason (an
// admin disabled the account or the session was revoked). Their call ends
// as for a disconnect. It returns once the user is offline to everyone.
func (h *Hub) Kick(userID uint64, reason string) {
	h.EndUserSessions(userID, 0, reason)
}

// kickWhere kicks the connections that match. Run on the loop.
func (h *Hub) kickWhere(match func(*client) bool, reason string) {
	for c := range h.conns {
		if match(c) {
			h.kick(c, reason)
		}
	}
	if h.clustered() {
		for _, c := range h.clients {
			if c.node != "" && match(c) {
				h.kick(c, reason) // a stub: its own node closes the socket
			}
		}
	}
}

// kick takes c offline and closes it with 4001; its call ends as for a
// disconnect. Run on the loop.
func (h *Hub) kick(c *client, reason string) {
	h.leaveAs(c, false)
	c.goodbye(nil, models.CloseKicked, reason)
}

// endExpired kicks the connections whose session has expired by now; run
// by the loop every SessionCheck. A connection that sends a message is
// checked then too (sessionOver), so the sweep only has to reach the idle.
func (h *Hub) endExpired(now time.Time) {
	for c := range h.conns {
		if !c.leaving.Load() && c.sessionOver(now) {
			h.expire(c)
		}
	}
	h.ended.forget(now.Add(-endingsKept))
}

// expire closes c, whose session is over. Run on the loop.
func (h *Hub) expire(c *client) {
	if !h.clustered() {
		h.kick(c, reasonExpired)
		return
	}
	registered := h.clients[c.user.ID] == c
	c.goodbye(nil, models.CloseKicked, reasonExpired)
	if registered {
		go h.rep.leave(c, false)
	}
}

// sessionOver reports whether c's session has expired at now.
func (c *client) sessionOver(now time.Time) bool {
	return c.expires != 0 && now.UnixNano() >= c.expires
}

// endings remembers what was ended lately, because a connection whose
// session was checked just before is still on its way to attach: the
// session lookup and the upgrade are not one step. Owned by the loop.
type endings struct {
	sessions map[uint64]ending // by session id
	users    map[uint64]ending // by user id
}

// ending is one EndSession or EndUserSessions.
type ending struct {
	at     time.Time
	reason string
	keep   uint64 // the session EndUserSessions spared
}

func newEndings() endings {
	return endings{sessions: map[uint64]ending{}, users: map[uint64]ending{}}
}

// of says whether c, whose session was checked at checked, belongs to
// something ended since, and why. A zero checked (no session lookup)
// matches only an ended session id.
func (e endings) of(c *client, checked time.Time) (string, bool) {
	if s, ok := e.sessions[c.session]; ok && c.session != 0 {
		return s.reason, true
	}
	u, ok := e.users[c.user.ID]
	if !ok || checked.IsZero() || checked.After(u.at) || (u.keep != 0 && u.keep == c.session) {
		return "", false
	}
	return u.reason, true
}

// forget drops what was ended before cutoff.
func (e endings) forget(cutoff time.Time) {
	for _, m := range []map[uint64]ending{e.sessions, e.users} {
		for id, x := range m {
			if x.at.Before(cutoff) {
				delete(m, id)
			}
		}
	}
}
