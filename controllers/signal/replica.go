package signal

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"callapp/models"
)

// Several nodes (docs/cluster-plan.md). With a Cluster, every change to
// the state that crosses users is an entry of the cluster's log, applied
// by every node's loop in log order to its own copy: the decisions are
// the same everywhere, and each node writes to the users connected to it.
// Users connected to other nodes are stubs in the registry (client.node
// set): what is sent to them is dropped, since their own node sends it.

// Kinds of entries.
const (
	entryUp      = "up"      // a node joined; applying it tells the node it has caught up
	entryConnect = "connect" // User/Connect
	entryLeave   = "leave"   // a connection ended (Flag: the user may resume)
	entryMsg     = "msg"     // a method of the loop, with the client's envelope
	entryChat    = "chat"    // a chat message, stored by the sender's node
	entryDeleted = "deleted" // an admin deleted a chat message
	entryEnd     = "end"     // EndSession, EndUserSessions
	entryRing    = "ring"    // a ring timer fired
	entryGrace   = "grace"   // a resume grace ended
	entryGone    = "gone"    // a node left or stopped beating
	entryRestore = "restore" // calls the last run of the cluster left going on
)

// entry is one change of the replicated state. Fields are used by kind.
type entry struct {
	Kind   string          `json:"k"`
	User   uint64          `json:"u,omitempty"`
	Name   string          `json:"name,omitempty"`   // connect: the username; gone: the node
	Role   string          `json:"role,omitempty"`   // connect
	Conn   string          `json:"c,omitempty"`      // the connection: its node's id / a number
	Sess   uint64          `json:"s,omitempty"`      // connect: the session; end: the session ended
	Flag   bool            `json:"f,omitempty"`      // connect: resume; leave: may resume
	Raw    json.RawMessage `json:"raw,omitempty"`    // msg: the envelope; chat: the 10005
	ID     string          `json:"id,omitempty"`     // msg: a new call or broadcast id; ring: the call; deleted: the message
	By     string          `json:"by,omitempty"`     // gone: the node that records the calls the gone one recorded
	Keep   uint64          `json:"keep,omitempty"`   // end: the session spared
	Reason string          `json:"reason,omitempty"` // end
	Calls  []RestoredCall  `json:"calls,omitempty"`  // restore
}

// ErrUnavailable is Serve's refusal while the node cannot reach the
// cluster's log: the caller answers 503, and a load balancer tries
// another node.
var ErrUnavailable = errors.New("signal: this node cannot reach the other nodes")

var errUnavailable = refuse(models.ReasonUnavailable, "the server cannot reach the other servers now; try again")

// replica is the hub's side of a Cluster. Its fields are safe from any
// goroutine unless marked.
type replica struct {
	cl      Cluster
	self    string
	stopped atomic.Bool // the node left the cluster (leaveCluster)
	evicted atomic.Bool // the others declared this node gone while it ran
	connSeq atomic.Uint64
	local   sync.Map // connection id -> *client, for the connections of this node

	wait time.Duration // bounds one append (Options.ClusterWait)

	mu       sync.Mutex
	applied  Pos           // the last entry the loop applied
	moved    chan struct{} // closed and replaced when applied moves
	owed     []entry       // entries that could not be appended yet (mustAppend)
	flushing sync.Mutex    // held by the one flush that runs

	// Owned by the loop.
	origin string              // the node that appended the entry being applied
	newID  string              // the id the entry being applied brings for a new call or broadcast
	gone   map[string]struct{} // nodes that left or were declared dead
	live   map[string]struct{} // nodes that joined and are not gone
	parked []frame             // frames from nodes ahead of this one in the log
}

// parkedMax bounds the relays waiting for the log: a node that far behind
// drops them, as it would a client too slow to keep up.
const parkedMax = 4096

// JoinCluster starts the hub's cluster and returns once this node has
// applied the whole log so far, so that it serves nobody from a copy
// behind the others. fresh reports that the log began with this node: no
// other node is running, and the calls the last run left are this one's
// to take over (Restore). A hub without a cluster returns at once.
func (h *Hub) JoinCluster(ctx context.Context) (fresh bool, err error) {
	r := h.rep
	if r == nil {
		return false, nil
	}
	if fresh, err = r.cl.Start(inbound{h}); err != nil {
		return false, err
	}
	at, err := r.cl.Append(ctx, mustMarshal(entry{Kind: entryUp}))
	if err != nil {
		return false, err
	}
	return fresh, h.waitApplied(ctx, at)
}

// ClusterHealth says whether this node is a working part of its cluster:
// its log reachable, and the node not declared gone by the others (after
// being cut off from Redis for longer than the offline bound, which only
// a restart mends). Always up without a cluster.
func (h *Hub) ClusterHealth() Health {
	switch {
	case h.rep == nil:
		return Health{Up: true}
	case h.rep.evicted.Load():
		return Health{Reason: "the other nodes declared this node gone; restart it"}
	}
	return h.rep.cl.Health()
}

// clustered reports whether the hub shares its state with other nodes.
func (h *Hub) clustered() bool { return h.rep != nil }

// appendEntry appends e and waits until this node has applied it, so that
// what the caller does next sees it. Off the loop only.
func (h *Hub) appendEntry(e entry) error {
	ctx, cancel := context.WithTimeout(context.Background(), h.opts.ClusterWait)
	defer cancel()
	at, err := h.rep.cl.Append(ctx, mustMarshal(e))
	if err != nil {
		h.opts.Logger.Debug("cluster: append failed", "kind", e.Kind, "err", err)
		return errUnavailable
	}
	if err := h.waitApplied(ctx, at); err != nil {
		return errUnavailable
	}
	return nil
}

// waitApplied waits until the loop has applied the entry at at, or the
// log lost it (a new life), or ctx ends.
func (h *Hub) waitApplied(ctx context.Context, at Pos) error {
	r := h.rep
	for {
		r.mu.Lock()
		now, moved := r.applied, r.moved
		r.mu.Unlock()
		switch {
		case now.Life == at.Life && now.Seq >= at.Seq:
			return nil
		case now.Life != at.Life && now.Life != 0:
			return ErrUnavailable // the log began again without it
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		case <-h.loopDone:
			return ErrClosed
		}
	}
}

// setApplied moves the applied position and wakes the waiters. Loop only.
func (h *Hub) setApplied(at Pos) {
	r := h.rep
	r.mu.Lock()
	r.applied = at
	close(r.moved)
	r.moved = make(chan struct{})
	r.mu.Unlock()
	h.unpark()
}

func mustMarshal(e entry) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic("signal: entry: " + err.Error()) // only plain fields: cannot fail
	}
	return b
}

// inbound is the Cluster's view of the hub.
type inbound struct{ h *Hub }

// Apply implements Inbound: the entry is applied on the loop, in order.
func (in inbound) Apply(at Pos, origin string, data []byte) {
	h := in.h
	var e entry
	if err := json.Unmarshal(data, &e); err != nil {
		h.opts.Logger.Error("cluster: an entry of the log is unreadable; skipped", "seq", at.Seq, "err", err)
		h.submit(op{do: func() { h.setApplied(at) }})
		return
	}
	h.submit(op{do: func() {
		h.rep.origin = origin
		h.apply(&e)
		h.rep.origin, h.rep.newID = "", ""
		h.setApplied(at)
	}})
}

// NewLife implements Inbound: the log was lost and begins again. This
// node's copy goes on, and what it owes the log is appended once it
// answers.
func (in inbound) NewLife(life uint64) {
	h := in.h
	h.opts.Logger.Warn("cluster: the log was lost (Redis restarted empty); it begins again", "life", life)
	h.submit(op{do: func() { h.setApplied(Pos{Life: life}) }})
}

// NodeGone implements Inbound.
func (in inbound) NodeGone(node string) error {
	h := in.h
	return h.rep.appendOnly(entry{Kind: entryGone, Name: node, By: h.rep.self})
}

// HealthChanged implements Inbound: once the log is back, what waited for
// it is appended.
func (in inbound) HealthChanged(hl Health) {
	h := in.h
	if hl.Up {
		h.opts.Logger.Info("cluster: the log is reachable again")
		go h.rep.flush()
		return
	}
	h.opts.Logger.Warn("cluster: the log is unreachable", "reason", hl.Reason)
}

// Stats implements Inbound.
func (in inbound) Stats() NodeStats {
	h := in.h
	return NodeStats{
		Node: h.rep.self, Name: h.rep.cl.Name(), Started: h.stats.started,
		Conns: h.stats.open.Load(), Online: h.stats.local.Load(), Calls: h.stats.recorded.Load(),
		MsgsIn: h.stats.in.total(), MsgsOut: h.stats.out.total(),
		Relayed: h.stats.relayed.Load(), Dropped: h.stats.framesDropped.Load(),
		Applied: h.rep.appliedSeq(),
	}
}

// leaveCluster takes this node's users out of the cluster's state before
// it says goodbye to them: those who hold a call, a seat or a broadcast
// are away for the resume grace, and come back on another node. Another
// live node records the calls this one recorded; with none, this one
// leaves them open for the next node to take over, as one node does.
func (h *Hub) leaveCluster() {
	r := h.rep
	h.do(func() { h.stopping = true })
	ctx, cancel := context.WithTimeout(context.Background(), h.opts.ClusterWait)
	defer cancel()
	by := r.self
	if nodes, err := r.cl.Nodes(ctx); err == nil {
		for _, n := range nodes {
			if n.Node != r.self {
				by = n.Node
				break
			}
		}
	}
	if err := h.appendEntry(entry{Kind: entryGone, Name: r.self, By: by}); err != nil {
		h.opts.Logger.Warn("cluster: could not tell the other nodes this one stops; they will find out", "err", err)
	}
	r.stopped.Store(true)
	h.do(h.handOverQuality)
}

// Abandon drops every socket at once and appends nothing more, as a node
// killed with SIGKILL would: for tests of the others finding out. Close
// still has to run to release the hub.
func (h *Hub) Abandon() {
	if h.rep != nil {
		h.rep.stopped.Store(true)
	}
	h.do(func() {
		for c := range h.conns {
			c.mu.Lock()
			conn := c.conn
			c.mu.Unlock()
			if conn != nil {
				_ = conn.NetConn().Close()
			}
		}
	})
}

// appliedSeq is the seq of the last entry applied.
func (r *replica) appliedSeq() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applied.Seq
}

// appendOnly appends e without waiting for it to be applied.
func (r *replica) appendOnly(e entry) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.wait)
	defer cancel()
	_, err := r.cl.Append(ctx, mustMarshal(e))
	return err
}

// mustAppend appends e, or keeps it to be appended once the log answers:
// what only this node knows (a socket closed, a timer fired) has to reach
// the others some time, or they would keep the user, the call or the
// seat for ever. Any goroutine but the loop.
func (r *replica) mustAppend(e entry) {
	if r.stopped.Load() {
		return // the node's departure took its users out already
	}
	if r.appendOnly(e) == nil {
		r.flush() // the log answers: what waited goes too
		return
	}
	r.mu.Lock()
	r.owed = append(r.owed, e)
	r.mu.Unlock()
}

// leave appends that c's connection ended.
func (r *replica) leave(c *client, mayResume bool) {
	r.mustAppend(entry{Kind: entryLeave, User: c.user.ID, Conn: c.id, Flag: mayResume})
}

// flush appends the entries kept while the log did not answer, in order.
func (r *replica) flush() {
	r.flushing.Lock() // one flush at a time keeps them in order
	defer r.flushing.Unlock()
	r.mu.Lock()
	owed := r.owed
	r.owed = nil
	r.mu.Unlock()
	for i, e := range owed {
		if r.stopped.Load() {
			return
		}
		if r.appendOnly(e) != nil {
			r.mu.Lock()
			r.owed = append(owed[i:], r.owed...)
			r.mu.Unlock()
			return
		}
	}
}

// owedRetry is how often the entries kept while the log did not answer
// are tried again, besides when it comes back and when an append works.
const owedRetry = time.Second

// retryOwed runs while the hub does, trying the owed entries again.
func (h *Hub) retryOwed() {
	t := time.NewTicker(owedRetry)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			h.rep.mu.Lock()
			n := len(h.rep.owed)
			h.rep.mu.Unlock()
			if n > 0 {
				h.rep.flush()
			}
		case <-h.quit:
			return
		}
	}
}

// apply runs one entry on the loop.
func (h *Hub) apply(e *entry) {
	r := h.rep
	if _, gone := r.gone[r.origin]; gone && e.Kind != entryGone {
		// Appended by a node after it was declared gone: its users are
		// offline to everyone, and this must not bring one back.
		if e.Kind == entryConnect && r.origin == r.self {
			if c := h.localConn(e.Conn); c != nil {
				c.goodbye(nil, models.CloseServiceRestart, "server restarting")
			}
		}
		return
	}
	switch e.Kind {
	case entryUp:
		if r.live == nil {
			r.live = make(map[string]struct{})
		}
		r.live[r.origin] = struct{}{}
		h.adoptOrphans(r.origin)
	case entryConnect:
		h.applyConnect(e)
	case entryLeave:
		if c := h.connOf(e.User, e.Conn); c != nil {
			h.leaveAs(c, e.Flag)
		}
	case entryMsg:
		h.applyMsg(e)
	case entryChat:
		h.history.changed()
		h.router.Broadcast(e.Raw)
	case entryDeleted:
		h.history.changed()
		id, _ := strconv.ParseUint(e.ID, 10, 64)
		h.router.Broadcast(chatDeletedMessage(id))
	case entryEnd:
		h.applyEnd(e)
	case entryRing:
		if cl := h.calls[e.ID]; cl != nil {
			h.ringTimeout(cl)
		}
	case entryGrace:
		if a := h.away[e.User]; a != nil && a.conn == e.Conn {
			h.graceOver(e.User, a)
		}
	case entryGone:
		h.applyGone(e.Name, e.By)
	case entryRestore:
		h.restore(e.Calls)
	}
}

// adoptOrphans gives node the records of the calls recorded by nodes that
// are gone: the node that left, or the last node of a cluster that
// stopped.
func (h *Hub) adoptOrphans(node string) {
	r := h.rep
	for _, cl := range h.calls {
		if _, gone := r.gone[cl.rec]; gone {
			if cl.rec == r.self {
				h.stats.recorded.Add(-1)
			}
			cl.rec = node
			if node == r.self {
				h.stats.recorded.Add(1)
			}
		}
	}
	for _, q := range h.quality.calls {
		if _, gone := r.gone[q.rec]; gone {
			q.rec = node
		}
	}
}

// localConn is this node's connection with id, or nil.
func (h *Hub) localConn(id string) *client {
	if v, ok := h.rep.local.Load(id); ok {
		return v.(*client)
	}
	return nil
}

// connOf is the user's registered connection if it is conn.
func (h *Hub) connOf(user uint64, conn string) *client {
	if c := h.clients[user]; c != nil && c.id == conn {
		return c
	}
	return nil
}

// applyConnect registers a connection: this node's own, or a stub for
// one of another node.
func (h *Hub) applyConnect(e *entry) {
	r := h.rep
	if r.origin != r.self {
		u := models.UserView{ID: e.User, Username: e.Name, Role: e.Role}
		c := &client{hub: h, user: u, session: e.Sess, id: e.Conn, node: r.origin}
		h.register(c, models.Welcome{}, nil, e.Flag)
		return
	}
	c := h.localConn(e.Conn)
	if c == nil {
		return // cannot be: the reader waits for its connect entry
	}
	h.register(c, c.welcome, c.plain, e.Flag)
	c.welcome, c.plain = models.Welcome{}, nil
	if c.leaving.Load() {
		// Closed while its entry was on its way: everyone registered it,
		// so everyone must hear it leave.
		go r.leave(c, false)
	}
}

// applyMsg runs a loop method for the connection that sent it.
func (h *Hub) applyMsg(e *entry) {
	c := h.connOf(e.User, e.Conn)
	if c == nil {
		return // replaced or gone since
	}
	req := &request{readAt: time.Now()}
	if decodeInbound(e.Raw, &req.Inbound) != nil {
		return // checked by the sender's node: cannot be
	}
	m := methods[req.Method]
	if m.loop == nil || m.check(req) != nil {
		return
	}
	h.rep.newID = e.ID
	if err := m.loop(h, c, req); err != nil {
		h.replyError(c, req.Method, err)
	}
}

// applyEnd ends sessions or a user's sessions everywhere.
func (h *Hub) applyEnd(e *entry) {
	if e.Sess != 0 {
		h.endSession(e.Sess, e.Reason)
		return
	}
	h.endUserSessions(e.User, e.Keep, e.Reason)
}

// applyGone takes the users of a node that left or died out of the
// state, as if each connection had dropped: those holding a place are
// away for the resume grace and may come back on any node. The calls it
// recorded are recorded by the node by from now.
func (h *Hub) applyGone(node, by string) {
	r := h.rep
	if r.gone == nil {
		r.gone = make(map[string]struct{})
	}
	if _, done := r.gone[node]; done {
		return
	}
	r.gone[node] = struct{}{}
	delete(r.live, node)
	// The node named takes over what the gone one recorded, if it is
	// still there; else the first live node, decided alike everywhere.
	if _, ok := r.live[by]; !ok && len(r.live) > 0 {
		by = slices.Min(slices.Collect(maps.Keys(r.live)))
	}
	if _, ok := r.live[by]; ok {
		h.adoptOrphans(by) // before the leaves below end calls: their ends are recorded
	}
	var leaving []*client
	for _, c := range h.clients {
		if h.nodeOf(c) == node {
			leaving = append(leaving, c)
		}
	}
	slices.SortFunc(leaving, func(a, b *client) int { return cmp.Compare(a.user.ID, b.user.ID) })
	for _, c := range leaving {
		h.leaveAs(c, true)
	}
	if node == r.self && !h.stopping {
		// The others declared this node dead (it could not beat): its
		// users are gone for them. They reconnect, to a node that is
		// still part of the cluster.
		r.evicted.Store(true)
		h.opts.Logger.Error("cluster: the other nodes declared this node gone; restart it")
		for c := range h.conns {
			c.goodbye(nil, models.CloseServiceRestart, "server restarting")
		}
	}
}

// nodeOf is the node a registered connection is on.
func (h *Hub) nodeOf(c *client) string {
	if c.node != "" {
		return c.node
	}
	return h.rep.self
}

// recordsHere reports whether this node writes the records of a call
// recorded by rec: always on one node.
func (h *Hub) recordsHere(rec string) bool {
	return h.rep == nil || rec == h.rep.self
}

// newEntityID is the id of a new call or broadcast: the one the entry
// being applied brings, so that every node names it alike.
func (h *Hub) newEntityID() string {
	if h.rep != nil && h.rep.newID != "" {
		return h.rep.newID
	}
	return newCallID()
}

// recNode is the node that records what the entry being applied starts.
func (h *Hub) recNode() string {
	if h.rep == nil {
		return ""
	}
	return h.rep.origin
}

// Frames between nodes: a kind, the applied position of the sender, the
// receiving user (0: none) and the sending one, then the payload.
const (
	frameRelay   = 1 // an offer, answer or candidate: the envelope
	frameStats   = 2 // a Call/Stats sample for the node that records the call: its data
	frameQuality = 3 // the samples a node that leaves kept of a call, for the node that records it now
	frameHead    = 33
)

// frame is a decoded frame.
type frame struct {
	kind     byte
	at       Pos
	to, from uint64
	payload  []byte
}

func encodeFrame(f frame) []byte {
	b := make([]byte, frameHead, frameHead+len(f.payload))
	b[0] = f.kind
	binary.BigEndian.PutUint64(b[1:], f.at.Life)
	binary.BigEndian.PutUint64(b[9:], f.at.Seq)
	binary.BigEndian.PutUint64(b[17:], f.to)
	binary.BigEndian.PutUint64(b[25:], f.from)
	return append(b, f.payload...)
}

func decodeFrame(b []byte) (frame, bool) {
	if len(b) < frameHead || b[0] < frameRelay || b[0] > frameQuality {
		return frame{}, false
	}
	return frame{
		kind: b[0],
		at:   Pos{Life: binary.BigEndian.Uint64(b[1:]), Seq: binary.BigEndian.Uint64(b[9:])},
		to:   binary.BigEndian.Uint64(b[17:]), from: binary.BigEndian.Uint64(b[25:]),
		payload: b[frameHead:],
	}, true
}

// Frame implements Inbound: a frame from another node, taken once this
// node has applied what the sender had applied when it sent it, and only
// if this node's copy allows it too.
func (in inbound) Frame(b []byte) {
	h := in.h
	f, ok := decodeFrame(b)
	if !ok {
		h.opts.Logger.Warn("cluster: an unreadable frame from another node; dropped")
		return
	}
	h.submit(op{do: func() { h.frameIn(f) }})
}

// frameIn takes or parks a frame from another node. Loop only.
func (h *Hub) frameIn(f frame) {
	r := h.rep
	r.mu.Lock()
	now := r.applied
	r.mu.Unlock()
	if now.Life == f.at.Life && now.Seq < f.at.Seq {
		if len(r.parked) >= parkedMax {
			h.stats.framesDropped.Add(1)
			return
		}
		r.parked = append(r.parked, f)
		return
	}
	switch f.kind {
	case frameRelay:
		if h.mayRelay(f.from, f.to) {
			if c := h.clients[f.to]; c != nil && c.node == "" {
				c.enqueue(outgoing{data: f.payload})
			}
		}
	case frameStats:
		if s, err := decodeStats(f.payload); err == nil {
			_ = h.takeStats(f.from, s) // its node answered already
		}
	case frameQuality:
		var w handedQuality
		if json.Unmarshal(f.payload, &w) == nil {
			if q := h.qualityOf(w.Call); q != nil {
				q.merge(&w)
			}
		}
	}
}

// unpark takes the frames the log has now reached. Loop only.
func (h *Hub) unpark() {
	r := h.rep
	if len(r.parked) == 0 {
		return
	}
	waiting := r.parked
	r.parked = nil
	for _, f := range waiting {
		h.frameIn(f)
	}
}

// relayTo sends a relay to a user of another node. Loop only.
func (h *Hub) relayTo(c *client, from uint64, msg []byte) {
	h.sendFrame(c.node, frameRelay, c.user.ID, from, msg)
}

// sendFrame sends a frame to node, stamped with this node's position in
// the log. Loop only.
func (h *Hub) sendFrame(node string, kind byte, to, from uint64, payload []byte) {
	r := h.rep
	r.mu.Lock()
	at := r.applied
	r.mu.Unlock()
	if r.cl.Send(node, encodeFrame(frame{kind: kind, at: at, to: to, from: from, payload: payload})) {
		if kind == frameRelay {
			h.stats.relayed.Add(1)
		}
		return
	}
	h.stats.framesDropped.Add(1)
}
