// Package signal is the websocket signaling hub: presence, 1:1 call control,
// rooms, live broadcasts and group chat. The protocol is documented in models/protocol.md.
//
// Concurrency: one loop goroutine owns all hub state (the connections, the
// user -> connection registry, the calls, the rooms, the broadcasts) and is the only caller of the
// Router, so messages leave in the order the state changed. Each connection
// has a reader goroutine (parsing, rate limits, database work for chat) that
// hands state changes to the loop as ops, and, while it has something to
// write, a writer goroutine, the only one that writes to the socket. Sends
// to a connection never block: a client whose bounded queue is full is
// dropped. One count lives outside the loop, under a mutex of its own:
// the connections per client address still waiting for User/Connect
// (pending.go), which Serve checks before the upgrade.
package signal

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"callapp/models"
)

// Store is what the hub keeps in the database: call records and chat.
// *dao.DAO implements it.
type Store interface {
	CreateCall(ctx context.Context, c *models.Call) error
	MarkCallAnswered(ctx context.Context, id string, at time.Time) error
	MarkCallEnded(ctx context.Context, id string, at time.Time, reason string) error
	MarkCallsAlive(ctx context.Context, ids []string, at time.Time) error
	MarkCallResumed(ctx context.Context, id string) error
	SetCallQuality(ctx context.Context, id string, q models.CallQuality) error
	SaveChatMessage(ctx context.Context, m *models.ChatMessage) error
	ChatHistory(ctx context.Context, beforeID uint64, limit int) ([]models.ChatMessage, error)
}

// storeTimeout bounds every database call the hub makes.
const storeTimeout = 5 * time.Second

// Hub routes signaling between the connected users.
type Hub struct {
	opts     Options
	store    Store
	upgrader websocket.Upgrader
	stats    counters
	chatRate *userLimiters
	rec      *recorder
	history  historyCache
	replaced []byte        // the 10003 envelope, the same for everyone
	pending  *pendingCount // connections waiting for User/Connect, per address
	rep      *replica      // the hub's side of Options.Cluster; nil on one node

	ops      chan op
	quit     chan struct{} // closed by Close once no connection is left
	loopDone chan struct{}

	life      sync.Mutex // guards closed, so that serving.Add never races serving.Wait
	closed    bool
	serving   sync.WaitGroup // one per connection until its goroutines end
	closeOnce sync.Once

	// Owned by the loop goroutine.
	conns    map[*client]struct{} // every upgraded connection
	clients  registry             // connections that sent User/Connect, by user
	router   Router
	calls    map[string]*call
	callOf   map[uint64]*call // both parties of every call
	rooms    map[string]*room // by models.RoomKey
	roomOf   map[uint64]*room // every member of every room
	lives    map[string]*broadcast
	liveOf   map[uint64]*broadcast // broadcasters
	watching map[uint64]*broadcast // viewers
	away     map[uint64]*absence   // users whose connection went while they held a place (resume.go)
	presence coalescer
	stopping bool
	ended    endings // sessions and users ended lately, for connections still on their way
	// The quality of accepted calls, until recorded (quality.go).
	quality qualities
}

// op is one unit of work for the loop: a protocol method run for c, or a
// one-off function.
type op struct {
	run loopHandler
	c   *client
	r   *request
	do  func()
}

// New returns a running hub. store must not be nil.
func New(opts Options, store Store) *Hub {
	opts = opts.withDefaults()
	h := &Hub{
		opts:     opts,
		store:    store,
		stats:    newCounters(),
		upgrader: newUpgrader(opts.CheckOrigin),
		chatRate: newUserLimiters(opts.ChatRate, opts.ChatBurst),
		pending:  newPendingCount(opts.MaxPendingPerAddr),
		replaced: encodeMessage(models.CodeReplaced, models.MethodConnect, "replaced by a newer connection", nil),
		ops:      make(chan op, 64),
		quit:     make(chan struct{}),
		loopDone: make(chan struct{}),
		conns:    make(map[*client]struct{}),
		clients:  make(registry),
		calls:    make(map[string]*call),
		callOf:   make(map[uint64]*call),
		rooms:    make(map[string]*room),
		roomOf:   make(map[uint64]*room),
		lives:    make(map[string]*broadcast),
		liveOf:   make(map[uint64]*broadcast),
		watching: make(map[uint64]*broadcast),
		away:     make(map[uint64]*absence),
		presence: newCoalescer(),
		ended:    newEndings(),
	}
	h.router = h.clients
	if opts.Cluster != nil {
		// Entries of the log come as ops, each node's as fast as the others'.
		h.ops = make(chan op, 1024)
		h.rep = &replica{cl: opts.Cluster, self: opts.Cluster.Node(), moved: make(chan struct{}), wait: h.opts.ClusterWait}
	}
	h.rec = newRecorder(store, &h.opts)
	go h.loop()
	if h.rep != nil {
		go h.retryOwed()
	}
	return h
}

// Refusals Serve returns before the upgrade, having written nothing: the
// caller answers the request.
var (
	ErrClosed         = errors.New("signal: server shutting down")
	ErrTooManyPending = errors.New("signal: too many connections from one address waiting for User/Connect")
)

// Serve upgrades the request to a websocket for the authenticated user u
// of session s, whose client address is addr, and returns; the connection
// runs on its own goroutines until it ends, at the latest when s expires
// or is ended (EndSession). The caller has checked the session; the
// Origin is checked again here by Options.CheckOrigin. It refuses with
// ErrClosed once the hub is closing, and with ErrTooManyPending while addr
// holds MaxPendingPerAddr connections that have not sent User/Connect.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, u models.UserView, s models.SessionRef, addr string) error {
	if !h.pending.acquire(addr) {
		return ErrTooManyPending
	}
	if h.rep != nil && !h.ClusterHealth().Up {
		h.pending.release(addr)
		return ErrUnavailable
	}
	if !h.enter() {
		h.pending.release(addr)
		return ErrClosed
	}
	// Attached before the handshake completes, so that a Kick or Close
	// that returns after the client saw the upgrade reaches it.
	c := newClient(h, u, s)
	c.addr, c.pending = addr, true // the place acquire took
	if h.rep != nil {
		c.id = h.rep.self + "/" + strconv.FormatUint(h.rep.connSeq.Add(1), 10)
		h.rep.local.Store(c.id, c)
	}
	h.do(func() { h.attach(c, s.CheckedAt) })
	conn, err := h.upgrader.Upgrade(hijacker{w}, r, nil)
	if err != nil {
		h.opts.Logger.Debug("websocket upgrade refused", "user", u.ID, "err", err)
		h.submit(op{do: func() { delete(h.conns, c) }})
		h.forgetLocal(c)
		c.unpend()
		h.serving.Done()
		return nil // the upgrader has answered the request
	}
	h.stats.open.Add(1)
	c.start(conn)
	go c.run()
	return nil
}

// newUpgrader sizes the buffers for many idle connections: writes borrow
// a buffer from a pool only while they write, and reads keep 256 bytes
// instead of the 4 KiB net/http buffer gorilla would otherwise keep for
// each connection. The buffer only has to hold frame headers and small
// frames: readOne reads longer payloads straight into its pooled buffer
// (bufio skips its own for reads larger than it), so a 600-byte ICE
// candidate costs two reads from the socket instead of one.
// It accepts permessage-deflate (without context takeover, so that no
// compressor is kept per connection); the writer compresses only bulk
// envelopes (see bulkMin).
func newUpgrader(checkOrigin func(*http.Request) bool) websocket.Upgrader {
	return websocket.Upgrader{
		CheckOrigin: checkOrigin, ReadBufferSize: 256, WriteBufferPool: &sync.Pool{},
		EnableCompression: true,
	}
}

// enter counts a new connection unless the hub is closed.
func (h *Hub) enter() bool {
	h.life.Lock()
	defer h.life.Unlock()
	if h.closed {
		return false
	}
	h.serving.Add(1)
	return true
}

// Close says goodbye (close code 1012) to every connection, ends the
// ringing calls and leaves the accepted ones open for the next start,
// waits for every connection's goroutines, and gives the call records up
// to RecordCloseWait to be written (what is not is logged as lost). New
// upgrades are refused with 503 from the first moment.
func (h *Hub) Close() {
	h.closeOnce.Do(func() {
		h.life.Lock()
		h.closed = true
		h.life.Unlock()
		if h.rep != nil {
			h.leaveCluster()
		}
		h.do(h.shutdown)
		h.serving.Wait()
		close(h.quit)
		<-h.loopDone
		h.rec.close()
		if h.rep != nil {
			ctx, cancel := context.WithTimeout(context.Background(), h.opts.ClusterWait)
			h.rep.cl.Stop(ctx)
			cancel()
		}
	})
}

// Online returns the connected users, by id, with their status.
func (h *Hub) Online() []models.OnlineUser {
	list := []models.OnlineUser{} // [] rather than null once closed
	h.do(func() { list = h.onlineList(0) })
	return list
}

// loop runs every op in order; it never blocks on a client.
func (h *Hub) loop() {
	defer close(h.loopDone)
	stalls := time.NewTicker(h.opts.WriteWait / 4)
	defer stalls.Stop()
	expiries := time.NewTicker(h.opts.SessionCheck)
	defer expiries.Stop()
	beats := time.NewTicker(h.opts.CallHeartbeat)
	defer beats.Stop()
	for {
		select {
		case o := <-h.ops:
			h.exec(o)
		case <-h.presence.timer.C:
			h.flushPresence()
		case now := <-stalls.C:
			h.dropStalled(now)
		case now := <-expiries.C:
			h.endExpired(now)
		case now := <-beats.C:
			h.heartbeat(now)
		case <-h.quit:
			return
		}
	}
}

func (h *Hub) exec(o op) {
	if o.do != nil {
		o.do()
		return
	}
	if h.clients[o.c.user.ID] != o.c {
		return // replaced or kicked: what it still sends dies with it
	}
	if err := o.run(h, o.c, o.r); err != nil {
		h.replyError(o.c, o.r.Method, err)
	}
}

// submit queues an op; it gives up when the hub has stopped.
func (h *Hub) submit(o op) bool {
	select {
	case h.ops <- o:
		return true
	case <-h.quit:
		return false
	}
}

// do runs fn on the loop and waits for it; false if the hub has stopped.
func (h *Hub) do(fn func()) bool {
	done := make(chan struct{})
	if !h.submit(op{do: func() { fn(); close(done) }}) {
		return false
	}
	select {
	case <-done:
		return true
	case <-h.loopDone:
		return false
	}
}

// shutdown says goodbye to every connection with 1012: pages reconnect at
// once and, if a server is back within the grace, carry on. Accepted calls
// stay open in the database, marked alive now, for the next start to take
// over (Restore); ringing calls end.
func (h *Hub) shutdown() {
	h.stopping = true
	for _, cl := range h.calls {
		if !cl.accepted {
			h.finish(cl, models.CallShutdown)
		}
	}
	h.writeAllQuality()
	h.heartbeat(time.Now())
	for id, cl := range h.calls { // left to the next start, not ended
		cl.timer.Stop()
		delete(h.calls, id)
		h.stats.active.Add(-1)
	}
	clear(h.callOf)
	for _, a := range h.away {
		a.timer.Stop()
	}
	clear(h.away)
	for _, b := range h.lives {
		h.forget(b) // everyone is leaving: no one to tell
	}
	for c := range h.conns {
		c.goodbye(nil, models.CloseServiceRestart, "server restarting")
	}
	clear(h.clients)
	clear(h.rooms) // everyone is leaving: no one to say bye to
	clear(h.roomOf)
	h.stats.online.Store(0)
	h.stats.rooms.Store(0)
	h.stats.roomMembers.Store(0)
	h.presence.timer.Stop() // everyone is leaving: no one to tell
	clear(h.presence.pending)
}
