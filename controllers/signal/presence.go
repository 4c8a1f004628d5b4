package signal

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"callapp/models"
)

// connect handles User/Connect on the reader goroutine: it registers the
// connection with the loop, then sends the chat history, which needs the
// database. History goes after registration so that no message falls in
// between; one may arrive both as 10005 and in the history (same id).
func (c *client) connect(r *request) error {
	h := c.hub
	if c.connected {
		return errAlreadyConnected
	}
	var in models.ConnectIn
	if !isNull(r.Data) {
		dec := json.NewDecoder(bytes.NewReader(r.Data))
		dec.DisallowUnknownFields()
		if dec.Decode(&in) != nil {
			return errBadConnect
		}
	}
	c.unpend() // before the welcome, so that a client who has it finds the place free
	welcome := models.Welcome{
		User: c.user, ICEServers: h.iceServers(c.user.ID), CallTimeoutSec: h.opts.callTimeoutSec(),
		ResumeGraceSec: h.opts.graceSec(), MediaTimeoutSec: h.opts.mediaTimeoutSec(),
	}
	// Marshaled here, off the loop; only a user coming back, whose
	// welcome says what it holds, has it marshaled again there.
	plain := encode(models.CodeWelcome, models.MethodConnect, welcome)
	if h.clustered() {
		if c.announced {
			// Its entry is on its way still (the last try gave up
			// waiting): the welcome comes when it is applied.
			return errAlreadyConnected
		}
		c.welcome, c.plain = welcome, plain
		e := entry{Kind: entryConnect, User: c.user.ID, Name: c.user.Username, Role: c.user.Role,
			Conn: c.id, Sess: c.session, Flag: in.Resume}
		c.announced = true
		if err := h.appendEntry(e); err != nil {
			return err
		}
	} else {
		h.do(func() { h.register(c, welcome, plain, in.Resume) })
	}
	c.connected = true
	_ = c.conn.SetReadDeadline(time.Now().Add(h.opts.PongWait))
	return h.sendHistory(c)
}

func (h *Hub) iceServers(userID uint64) []models.ICEServer {
	var list []models.ICEServer
	if h.opts.ICEServers != nil {
		list = h.opts.ICEServers(userID)
	}
	if list == nil {
		list = []models.ICEServer{} // [] rather than null for the browser
	}
	return list
}

// attach records a new connection, so that Kick and Close reach it even
// before it sends User/Connect. A connection whose session was checked
// before it was ended (checked is when) is closed as if it had been there.
func (h *Hub) attach(c *client, checked time.Time) {
	if h.stopping {
		c.goodbye(nil, models.CloseServiceRestart, "server restarting")
		return
	}
	h.conns[c] = struct{}{}
	if reason, ok := h.ended.of(c, checked); ok {
		h.kick(c, reason)
	}
}

var errBadConnect = refuse(models.ReasonBadJSON, `data must be {"resume": true|false} or absent`)

// register makes c the user's connection. Replacing an older one is this
// one step: the old connection is told (10003) and closed, and others see
// no offline/online flicker. What the user held (a call, a room, a
// broadcast) ends as for a disconnect, unless the new connection resumes:
// it comes back to a place kept since its last connection went (away), or
// it says it carries on what the old one had (resume).
//
// With several nodes it runs on every node, for c or its stub, and must
// decide alike everywhere: what only this node knows (c closing, this
// node stopping) is dealt with by the node's own entries (applyConnect).
func (h *Hub) register(c *client, welcome models.Welcome, plain []byte, resume bool) {
	if !h.clustered() {
		if c.leaving.Load() {
			return // kicked while connecting
		}
		if h.stopping {
			c.goodbye(nil, models.CloseServiceRestart, "server restarting")
			return
		}
	}
	id := c.user.ID
	old, away := h.clients[id], h.away[id]
	back := away != nil
	switch {
	case old != nil:
		old.goodbye(h.replaced, models.CloseReplaced, "replaced by a newer connection")
		if resume && h.holdsPlace(id) {
			back = true
			break
		}
		// Ended while the old connection is still the user's: the new page
		// never knew the call or the room and hears nothing of them.
		h.endCallOf(id, models.CallDisconnected)
		h.leaveRoomOf(id)
		h.endLiveOf(id)
	case away != nil:
		away.timer.Stop()
		delete(h.away, id)
		h.stats.away.Store(int64(len(h.away)))
	default:
		h.touch(id) // others hear of the arrival at the tick
	}
	if old != nil && old.node == "" {
		h.stats.local.Add(-1)
	}
	h.clients[id] = c
	h.stats.online.Store(int64(len(h.clients)))
	if back {
		h.comeBack(c, &welcome)
	}
	if c.node == "" { // a stub's node greets it
		h.stats.local.Add(1)
		if back {
			plain = encode(models.CodeWelcome, models.MethodConnect, welcome)
		}
		c.enqueue(outgoing{data: plain})
		c.enqueue(h.onlineSnapshot(id))
		c.enqueue(outgoing{data: h.liveList()})
	}
	if back {
		h.afterComeBack(c)
	}
}

// forgetLocal forgets a connection of this node that ended, by its id.
func (h *Hub) forgetLocal(c *client) {
	if h.rep != nil {
		h.rep.local.Delete(c.id)
	}
}

// detach forgets a connection whose socket is closed. Until then it stays
// in conns, where dropStalled can see a write that hangs.
func (h *Hub) detach(c *client) {
	delete(h.conns, c)
}

// leave takes c offline if it is still its user's connection: a replaced
// connection leaves nothing behind. A user who holds a call, a room seat
// or a broadcast stays online, away, for the resume grace.
func (h *Hub) leave(c *client) {
	h.leaveAs(c, true)
}

// leaveAs is leave; final is false for a kick or an ended session, which
// keep nothing for the user.
func (h *Hub) leaveAs(c *client, mayResume bool) {
	id := c.user.ID
	if h.clients[id] != c {
		return
	}
	if c.node == "" {
		h.stats.local.Add(-1)
	}
	// A stopping node of several does not end what its users hold: they
	// come back on another node.
	if mayResume && (!h.stopping || h.clustered()) && h.holdsPlace(id) {
		delete(h.clients, id)
		h.stats.online.Store(int64(len(h.clients)))
		h.goAway(brief(c.user), c.session, c.id, time.Now())
		return
	}
	h.touch(id) // others hear of the departure at the tick
	delete(h.clients, id)
	h.stats.online.Store(int64(len(h.clients)))
	h.endCallOf(id, models.CallDisconnected)
	h.leaveRoomOf(id)
	h.endLiveOf(id)
}

// onlineList returns the connected users but except, by id, as they are
// now (the admin's view; clients get the known state, onlineSnapshot).
func (h *Hub) onlineList(except uint64) []models.OnlineUser {
	list := make([]models.OnlineUser, 0, len(h.clients)+len(h.away))
	for id, c := range h.clients {
		if id != except {
			list = append(list, models.OnlineUser{ID: id, Username: c.user.Username, Status: h.statusOf(id)})
		}
	}
	for id, a := range h.away {
		if id != except {
			list = append(list, models.OnlineUser{ID: id, Username: a.user.Username, Status: h.statusOf(id)})
		}
	}
	slices.SortFunc(list, func(a, b models.OnlineUser) int { return cmp.Compare(a.ID, b.ID) })
	return list
}

// statusOf is in_call from accept to end, in_room while in a room; a
// ringing user shows online.
func (h *Hub) statusOf(id uint64) string {
	if cl := h.callOf[id]; cl != nil && cl.accepted {
		return models.StatusInCall
	}
	if h.roomOf[id] != nil {
		return models.StatusInRoom
	}
	return models.StatusOnline
}

// sendHistory sends the latest chat messages, oldest first (10004).
func (h *Hub) sendHistory(c *client) error {
	msg, err := h.history.get(h.store, h.opts.ChatHistory)
	if err != nil {
		return err
	}
	c.enqueue(msg)
	return nil
}
