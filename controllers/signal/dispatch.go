package signal

import (
	"encoding/json"
	"errors"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"callapp/models"
)

// request is one decoded client message.
type request struct {
	models.Inbound
	callID string    // data.callId of the call methods
	reason string    // data.reason of Call/Hangup
	readAt time.Time // when the reader had it: relay latency starts here
	raw    []byte    // the message as read, valid until the handler returns
}

// loopHandler runs a method on the hub's loop goroutine, in order with
// every other change to the hub's state, which it may read and change.
// It must not block. A *protoError it returns becomes the 10001
// envelope; any other error is logged and answered as "internal".
type loopHandler func(h *Hub, c *client, r *request) error

// readerHandler runs a method on the connection's reader goroutine, for
// work that waits (the database). It reaches the hub's state only through
// the loop (Hub.do, Hub.submit). Its errors are answered as a loopHandler's.
type readerHandler func(c *client, r *request) error

// Fields a method requires, checked before it runs.
const (
	needTo = 1 << iota
	needData
	needCallID
)

// method is one row of the method table: its handler, of the type that
// says where it runs (exactly one is set), and the fields it needs.
type method struct {
	loop   loopHandler
	reader readerHandler
	needs  int
	direct bool // a relay: with several nodes, sent to the receiver's node rather than through the log
}

var methods = map[string]method{
	models.MethodConnect:   {reader: (*client).connect},
	models.MethodSendToAll: {reader: (*client).sendToAll},
	models.MethodOffer:     {loop: relay(models.CodeOffer), needs: needTo | needData, direct: true},
	models.MethodAnswer:    {loop: relay(models.CodeAnswer), needs: needTo | needData, direct: true},
	models.MethodCandidate: {loop: relay(models.CodeCandidate), needs: needTo | needData, direct: true},
	models.MethodInvite:    {loop: (*Hub).invite, needs: needTo},
	models.MethodAccept:    {loop: (*Hub).accept, needs: needTo | needCallID},
	models.MethodReject:    {loop: (*Hub).reject, needs: needTo | needCallID},
	models.MethodHangup:    {loop: (*Hub).hangup, needs: needTo | needCallID},
	models.MethodRoomJoin:  {loop: (*Hub).joinRoom, needs: needData},
	models.MethodRoomLeave: {loop: (*Hub).leaveRoom, needs: needData},
	models.MethodRoomMsg:   {loop: (*Hub).roomMessage, needs: needData},
	models.MethodLiveStart: {loop: (*Hub).liveStart, needs: needData},
	models.MethodLiveStop:  {loop: (*Hub).liveStop},
	models.MethodLiveWatch: {loop: (*Hub).liveWatch, needs: needData},
	models.MethodLiveLeave: {loop: (*Hub).liveLeave, needs: needData},
	models.MethodCallStats: {reader: (*client).callStats, needs: needData},
}

// protoError is a request the protocol refuses; the connection lives on.
type protoError struct {
	reason string // a models.Reason* constant
	text   string // for people
}

func (e *protoError) Error() string { return e.reason + ": " + e.text }

func refuse(reason, text string) error { return &protoError{reason: reason, text: text} }

var (
	errRateLimited      = refuse(models.ReasonRateLimited, "too many messages; slow down")
	errNotConnected     = refuse(models.ReasonNotConnected, "send User/Connect first")
	errUnknownMethod    = refuse(models.ReasonUnknownMethod, "unknown method")
	errMissingTo        = refuse(models.ReasonMissingField, "toId is required")
	errMissingData      = refuse(models.ReasonMissingField, "data is required")
	errMissingCallID    = refuse(models.ReasonMissingField, "data.callId is required")
	errBadCallRef       = refuse(models.ReasonBadJSON, `data must be {"callId": "..."}`)
	errBadJSON          = refuse(models.ReasonBadJSON, "not a JSON envelope")
	errAlreadyInCall    = refuse(models.ReasonAlreadyInCall, "you are already in a call")
	errUnknownCall      = refuse(models.ReasonUnknownCall, "no such call of yours in that state")
	errNotInCall        = refuse(models.ReasonNotInCall, "you are not in a call or a room with that user")
	errAlreadyConnected = refuse(models.ReasonAlreadyConnected, "already connected")
)

// dispatch handles one message; false means the connection is abusing
// the rate limit and must be closed.
func (h *Hub) dispatch(c *client, raw []byte, readAt time.Time) bool {
	r := &request{readAt: readAt, raw: raw}
	err := decodeInbound(raw, &r.Inbound)
	h.stats.in.add(r.Method)
	limited, abusive := c.rateLimited()
	switch {
	case abusive:
		return false
	case limited:
		err = errRateLimited
	case err != nil:
		err = errBadJSON
	default:
		err = h.route(c, r)
	}
	if err != nil {
		h.replyError(c, r.Method, err)
	}
	return true
}

// decodeInbound decodes a client envelope with the JSON v2 decoder, which
// reads a message once where encoding/json reads it three times (validate,
// decode, skip data), the largest cost of a relay after the syscalls (see
// BenchmarkDecodeInbound). It is stricter in ways
// no browser notices: a duplicate key or invalid UTF-8 is bad_json.
func decodeInbound(raw []byte, in *models.Inbound) error {
	err := jsonv2.Unmarshal(raw, in, jsonv2.MatchCaseInsensitiveNames(true))
	// A type error can come before the syntax error that ends a truncated
	// message, so the whole input is checked, on the error path only.
	if err != nil && !jsontext.Value(raw).IsValid() {
		*in = models.Inbound{} // not JSON: not even its method is to be echoed
	}
	return err
}

// route checks the request against the method table and runs it, on this
// goroutine or on the loop.
func (h *Hub) route(c *client, r *request) error {
	m, ok := methods[r.Method]
	switch {
	case !ok:
		return errUnknownMethod
	case !c.connected && r.Method != models.MethodConnect:
		return errNotConnected
	}
	if err := m.check(r); err != nil {
		return err
	}
	switch {
	case m.reader != nil:
		return m.reader(c, r)
	case h.clustered() && !m.direct:
		return h.appendMsg(c, r)
	}
	h.submit(op{run: m.loop, c: c, r: r})
	return nil
}

// appendMsg appends a loop method to the cluster's log; every node runs
// it when it comes. The ids of new calls and broadcasts are drawn here, so
// that every node names them alike.
func (h *Hub) appendMsg(c *client, r *request) error {
	e := entry{Kind: entryMsg, User: c.user.ID, Conn: c.id, Raw: r.raw}
	if r.Method == models.MethodInvite || r.Method == models.MethodLiveStart {
		e.ID = newCallID()
	}
	return h.appendEntry(e)
}

// check enforces the method's required fields.
func (m method) check(r *request) error {
	switch {
	case m.needs&needTo != 0 && r.ToID == 0:
		return errMissingTo
	case m.needs&needData != 0 && isNull(r.Data):
		return errMissingData
	case m.needs&needCallID != 0:
		return r.parseCallID()
	}
	return nil
}

func (r *request) parseCallID() error {
	if isNull(r.Data) {
		return errMissingCallID
	}
	var ref models.CallRef
	if err := json.Unmarshal(r.Data, &ref); err != nil {
		return errBadCallRef
	}
	if ref.CallID == "" {
		return errMissingCallID
	}
	r.callID, r.reason = ref.CallID, ref.Reason
	return nil
}

func isNull(data json.RawMessage) bool { return len(data) == 0 || string(data) == "null" }

// replyError is the one place a refused request becomes a 10001 envelope.
func (h *Hub) replyError(c *client, method string, err error) {
	if c.node != "" {
		return // its own node answers
	}
	var pe *protoError
	if !errors.As(err, &pe) {
		h.opts.Logger.Error("signaling request failed", "user", c.user.ID, "method", method, "err", err)
		pe = &protoError{reason: models.ReasonInternal, text: "internal error; try again later"}
	}
	h.stats.errors.add(pe.reason)
	data := models.ErrorData{Method: method, Reason: pe.reason}
	c.enqueue(outgoing{data: encodeMessage(models.CodeError, method, pe.text, data)})
}
