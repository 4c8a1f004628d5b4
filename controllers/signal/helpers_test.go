package signal_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"callapp/controllers/signal"
	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every expectation; generous because -race on two cores is slow.
const wait = 3 * time.Second

// harness is a hub behind an httptest server. The handler takes the user
// from the query (?id=&name=), and the session too if there is one
// (sessionOf): authentication is tested at route level.
type harness struct {
	t   testing.TB
	hub *signal.Hub
	srv *httptest.Server
	db  *dao.DAO
}

// fast returns options with millisecond timings and limits out of the way;
// tests that exercise a limit lower it.
func fast() signal.Options {
	o := signal.TestOptions()
	o.PingInterval, o.PongWait, o.WriteWait = 50*time.Millisecond, 2*time.Second, time.Second
	o.ConnectTimeout, o.RingTimeout, o.PresenceTick = 2*time.Second, 5*time.Second, 10*time.Millisecond
	o.MessageRate, o.MessageBurst, o.ChatRate, o.ChatBurst = 10000, 10000, 10000, 10000
	o.ResumeGrace = 200 * time.Millisecond
	return o
}

func start(t *testing.T, opts signal.Options) *harness {
	t.Helper()
	return startWith(t, opts, daotest.Open(t, dao.DriverSQLite))
}

func startWith(t *testing.T, opts signal.Options, db *dao.DAO) *harness {
	t.Helper()
	return startStore(t, opts, db, db)
}

// startStore starts a hub on store, which may wrap db.
func startStore(t testing.TB, opts signal.Options, store signal.Store, db *dao.DAO) *harness {
	t.Helper()
	var hub *signal.Hub
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseUint(r.URL.Query().Get("id"), 10, 64)
		if err != nil {
			http.Error(w, "no user", http.StatusUnauthorized)
			return
		}
		// The client's address as the HTTP side would give it: one per
		// connection, unless the test names one (?addr=).
		addr := r.URL.Query().Get("addr")
		if addr == "" {
			addr = r.RemoteAddr
		}
		err = hub.Serve(w, r, models.UserView{ID: id, Username: r.URL.Query().Get("name"), Role: models.RoleUser}, sessionOf(r.URL.Query()), addr)
		switch {
		case errors.Is(err, signal.ErrTooManyPending):
			http.Error(w, err.Error(), http.StatusTooManyRequests)
		case err != nil:
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close) // after the hub's cleanup has closed the websockets
	hub = signal.NewTestHub(t, opts, store)
	srv.Start()
	return &harness{t: t, hub: hub, srv: srv, db: db}
}

func (h *harness) url(id uint64, name string) string {
	return "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/?id=" + strconv.FormatUint(id, 10) + "&name=" + name
}

// dialRaw opens a websocket for user id without reading from it.
func (h *harness) dialRaw(id uint64, name string) *websocket.Conn {
	h.t.Helper()
	return h.dialRawWith(websocket.DefaultDialer, id, name)
}

// dialRawWith is dialRaw with a dialer of the test's own.
func (h *harness) dialRawWith(d *websocket.Dialer, id uint64, name string) *websocket.Conn {
	h.t.Helper()
	conn, resp, err := d.Dial(h.url(id, name), nil)
	if err != nil {
		h.t.Fatalf("dial as %d: %v", id, err)
	}
	resp.Body.Close()
	h.t.Cleanup(func() { conn.Close() })
	return conn
}

// dial opens a websocket for user id, read by a background goroutine.
func (h *harness) dial(id uint64, name string) *peer {
	h.t.Helper()
	return h.dialWith(id, name, nil)
}

// dialWith is dial with a chance to set up the connection (handlers)
// before its read goroutine starts.
func (h *harness) dialWith(id uint64, name string, setup func(*websocket.Conn)) *peer {
	h.t.Helper()
	p := h.peerOn(h.dialRaw(id, name), id, setup)
	return p
}

// peerOn makes a peer of an open websocket and starts reading it.
func (h *harness) peerOn(conn *websocket.Conn, id uint64, setup func(*websocket.Conn)) *peer {
	p := &peer{t: h.t, id: id, conn: conn, in: make(chan envelope, 4096), ended: make(chan struct{})}
	if setup != nil {
		setup(p.conn)
	}
	go p.read()
	h.t.Cleanup(func() {
		p.conn.Close()
		<-p.ended
	})
	return p
}

// join dials and connects: it consumes the welcome (10002), the online
// list (10000), the broadcasts (10035) and the chat history (10004). Presence pending from earlier
// joins is flushed first, so that the list holds every earlier user.
func (h *harness) join(id uint64, name string) *peer {
	h.t.Helper()
	signal.FlushPresence(h.hub)
	return h.connect(id, name)
}

// connect is join without the flush: the user may arrive within a tick
// of others.
func (h *harness) connect(id uint64, name string) *peer {
	h.t.Helper()
	return handshake(h.dial(id, name))
}

// handshake sends User/Connect and consumes what answers it, as join.
func handshake(p *peer) *peer {
	p.t.Helper()
	p.send(models.MethodConnect, 0, nil)
	p.welcome = decode[models.Welcome](p.t, p.expect(models.CodeWelcome))
	p.online = decode[[]models.OnlineUser](p.t, p.expect(models.CodeOnlineUsers))
	// The view starts from 10000 before 10004 is awaited: on a loaded
	// machine the history query is slow and a presence tick can come first.
	p.view = make(map[uint64]models.OnlineUser)
	for _, u := range p.online {
		p.view[u.ID] = u
	}
	p.lives = decode[[]models.LiveInfo](p.t, p.expect(models.CodeLiveList))
	p.history = decode[[]models.ChatMessageView](p.t, p.expect(models.CodeChatHistory))
	return p
}

// envelope is a server envelope as a client sees it.
type envelope struct {
	Method  string          `json:"method"`
	Type    int             `json:"type"`
	Message string          `json:"message"`
	Code    int             `json:"code"`
	Data    json.RawMessage `json:"data"`
	raw     []byte          // the frame as received
}

// peer is a test client.
type peer struct {
	t        testing.TB
	id       uint64
	conn     *websocket.Conn
	in       chan envelope
	ended    chan struct{} // closed when the read goroutine ends
	closeErr error         // why it ended; read after ended
	wmu      sync.Mutex    // gorilla allows one writer at a time

	welcome models.Welcome
	online  []models.OnlineUser
	lives   []models.LiveInfo
	history []models.ChatMessageView
	view    map[uint64]models.OnlineUser // who is online: 10000 and the presence since
}

func (p *peer) read() {
	defer close(p.ended)
	for {
		_, msg, err := p.conn.ReadMessage()
		if err != nil {
			p.closeErr = err
			return
		}
		env := envelope{raw: msg}
		if err := json.Unmarshal(msg, &env); err != nil {
			p.closeErr = err
			return
		}
		p.in <- env
	}
}

// send writes an envelope; data is marshaled unless it is already raw.
func (p *peer) send(method string, toID uint64, data any) {
	p.t.Helper()
	env := map[string]any{"method": method, "type": 1, "message": ""}
	if toID != 0 {
		env["toId"] = toID
	}
	if data != nil {
		env["data"] = data
	}
	b, err := json.Marshal(env)
	if err != nil {
		p.t.Fatal(err)
	}
	p.sendRaw(b)
}

func (p *peer) sendRaw(b []byte) {
	p.t.Helper()
	if err := p.write(b); err != nil {
		p.t.Fatalf("user %d send: %v", p.id, err)
	}
}

// write sends one frame; safe from any goroutine (pion's callbacks too).
func (p *peer) write(b []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.conn.WriteMessage(websocket.TextMessage, b)
}

func (p *peer) chat(text string) {
	p.t.Helper()
	b, _ := json.Marshal(map[string]any{"method": models.MethodSendToAll, "type": 1, "message": text})
	p.sendRaw(b)
}

// call sends a call method with data {"callId": id}.
func (p *peer) call(method string, toID uint64, callID string) {
	p.t.Helper()
	p.send(method, toID, models.CallRef{CallID: callID})
}

// next returns the next envelope.
func (p *peer) next() envelope {
	p.t.Helper()
	select {
	case env := <-p.in:
		return env
	case <-p.ended:
		select {
		case env := <-p.in: // read before the end, picked second by chance
			return env
		default:
		}
		p.t.Fatalf("user %d: connection ended waiting for a message: %v", p.id, p.closeErr)
	case <-time.After(wait):
		p.t.Fatalf("user %d: no message within %v", p.id, wait)
	}
	return envelope{}
}

// expect returns the next envelope, which must have the code. Presence
// goes out on its own tick, so unless code is a presence code, presence
// envelopes before it are applied to the view and skipped.
func (p *peer) expect(code int) envelope {
	p.t.Helper()
	env := p.next()
	for !isPresence(code) && p.applyPresence(env) {
		env = p.next()
	}
	if env.Code != code {
		p.t.Fatalf("user %d: got %d %s %s, want %d", p.id, env.Code, env.Method, env.Data, code)
	}
	return env
}

// expectError returns the next envelope, which must be 10001 with reason.
func (p *peer) expectError(method, reason string) {
	p.t.Helper()
	env := p.expect(models.CodeError)
	got := decode[models.ErrorData](p.t, env)
	if got.Reason != reason || got.Method != method || env.Message == "" {
		p.t.Fatalf("user %d: error %+v %q, want %s %s", p.id, got, env.Message, method, reason)
	}
}

// quiet fails if any envelope arrives within d.
func (p *peer) quiet(d time.Duration) {
	p.t.Helper()
	select {
	case env := <-p.in:
		p.t.Fatalf("user %d: unexpected %d %s %s", p.id, env.Code, env.Method, env.Data)
	case <-time.After(d):
	}
}

// closed waits for the server to close the connection and returns the
// close frame it sent.
func (p *peer) closed() *websocket.CloseError {
	p.t.Helper()
	for {
		select {
		case <-p.in: // drain what came before the close
		case <-p.ended:
			var ce *websocket.CloseError
			if !errors.As(p.closeErr, &ce) {
				p.t.Fatalf("user %d: ended without a close frame: %v", p.id, p.closeErr)
			}
			return ce
		case <-time.After(wait):
			p.t.Fatalf("user %d: not closed within %v", p.id, wait)
		}
	}
}

func expectClose(t *testing.T, p *peer, code int, text string) {
	t.Helper()
	ce := p.closed()
	if ce.Code != code || (text != "" && ce.Text != text) {
		t.Fatalf("user %d closed with %d %q, want %d %q", p.id, ce.Code, ce.Text, code, text)
	}
}

func decode[T any](t testing.TB, env envelope) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(env.Data, &v); err != nil {
		t.Fatalf("decode %d data %s: %v", env.Code, env.Data, err)
	}
	return v
}

// eventually polls cond until it holds or the wait runs out.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// applyPresence applies a presence envelope to the peer's view as the web
// UI does (offline, then online, then status); false if env is not one.
func (p *peer) applyPresence(env envelope) bool {
	var d models.Presence
	switch env.Code {
	case models.CodeUserOnline:
		d.Online = []models.OnlineUser{decode[models.OnlineUser](p.t, env)}
	case models.CodeUserStatus:
		d.Status = []models.StatusChange{decode[models.StatusChange](p.t, env)}
	case models.CodeUserOffline:
		d.Offline = []uint64{decode[models.UserOffline](p.t, env).FromID}
	case models.CodePresence:
		d = decode[models.Presence](p.t, env)
	default:
		return false
	}
	if p.view == nil {
		p.view = make(map[uint64]models.OnlineUser)
	}
	for _, id := range d.Offline {
		delete(p.view, id)
	}
	for _, u := range d.Online {
		p.view[u.ID] = u
	}
	for _, s := range d.Status {
		if u, ok := p.view[s.ID]; ok {
			u.Status = s.Status
			p.view[s.ID] = u
		}
	}
	return true
}

func isPresence(code int) bool {
	switch code {
	case models.CodeUserOnline, models.CodeUserStatus, models.CodeUserOffline, models.CodePresence:
		return true
	}
	return false
}

// waitView reads envelopes, applying presence and skipping the rest,
// until cond holds for the peer's view.
func (p *peer) waitView(what string, cond func(view map[uint64]models.OnlineUser) bool) {
	p.t.Helper()
	for !cond(p.view) {
		env := p.next()
		if !p.applyPresence(env) {
			p.t.Logf("user %d: skipped %d waiting for %s", p.id, env.Code, what)
		}
	}
}
