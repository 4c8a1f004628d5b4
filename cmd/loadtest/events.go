package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"

	"callapp/models"
)

// maxPhases bounds the timed phases of one run (find-max steps).
const maxPhases = 256

// maxSamplesPerPhase bounds the latency samples kept for one phase
// (8 bytes each); runs are bounded, so this is a guard.
const maxSamplesPerPhase = 8 << 20

// phase is one timed stretch of a run: a fixed-rate run, a find-max step.
// Messages carry its id, so a late arrival still counts where it belongs.
type phase struct {
	id   int
	sent atomic.Int64 // messages sent, or deliveries expected (fanout)
	recv atomic.Int64
	lat  *Recorder
}

// events collects what every connection of a run receives.
type events struct {
	phases [maxPhases]atomic.Pointer[phase]
	nphase atomic.Int32

	total         atomic.Int64
	codes         [32]atomic.Int64 // by code - 10000
	strays        atomic.Int64     // timed messages of no known phase
	presenceItems atomic.Int64     // changes inside 10018 envelopes
	dropped       atomic.Int64     // connections the server or network ended

	mu      sync.Mutex
	reasons map[string]int64 // errors and unexpected events, by kind
}

func newEvents() *events { return &events{reasons: map[string]int64{}} }

// newPhase starts a timed phase.
func (e *events) newPhase() (*phase, error) {
	id := int(e.nphase.Add(1) - 1)
	if id >= maxPhases {
		return nil, fmt.Errorf("more than %d timed phases in one run", maxPhases)
	}
	p := &phase{id: id, lat: NewRecorder(maxSamplesPerPhase)}
	e.phases[id].Store(p)
	return p, nil
}

// handle counts one envelope a client received at now.
func (e *events) handle(c *client, msg []byte, now int64) {
	e.total.Add(1)
	code := envelopeCode(msg)
	if code >= 10000 && code < 10000+len(e.codes) {
		e.codes[code-10000].Add(1)
	}
	switch code {
	case models.CodeCandidate, models.CodeOffer, models.CodeAnswer, models.CodeChat:
		if s, ok := findMarker(msg); ok {
			e.received(c.idx, s, now)
		}
	case models.CodeError:
		e.note("10001 " + envelopeReason(msg))
	case models.CodeReplaced:
		e.note("10003 replaced")
	case models.CodeCallEnded:
		e.note("10015 call ended: " + envelopeReason(msg))
	case models.CodeCallFailed:
		e.note("10016 invite failed: " + envelopeReason(msg))
	case models.CodePresence:
		if !c.skim {
			e.presenceItems.Add(presenceItems(msg))
		}
	}
}

func (e *events) received(hint int, s stamp, now int64) {
	if s.phase < 0 || s.phase >= maxPhases {
		e.strays.Add(1)
		return
	}
	p := e.phases[s.phase].Load()
	if p == nil {
		e.strays.Add(1)
		return
	}
	p.recv.Add(1)
	p.lat.Add(hint, now-s.sent)
}

// presenceItems counts the changes a 10018 envelope carries without
// decoding it: a server filling up sends millions of them, and decoding
// each made the tool, not the server, the bottleneck. Online and status
// entries are objects with an "id"; offline is a list of bare ids.
func presenceItems(msg []byte) int64 {
	n := int64(bytes.Count(msg, idKey))
	i := bytes.Index(msg, offlineKey)
	if i < 0 {
		return n
	}
	list := msg[i+len(offlineKey):]
	end := bytes.IndexByte(list, ']')
	if end < 0 {
		return n
	}
	if list = bytes.TrimSpace(list[:end]); len(list) > 0 {
		n += int64(bytes.Count(list, []byte(","))) + 1
	}
	return n
}

var (
	idKey      = []byte(`"id":`)
	offlineKey = []byte(`"offline":[`)
)

// note counts one error or unexpected event of a kind.
func (e *events) note(kind string) {
	e.mu.Lock()
	e.reasons[kind]++
	e.mu.Unlock()
}

// lost records a connection that ended without our asking.
func (e *events) lost(err error) {
	e.dropped.Add(1)
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		e.note(fmt.Sprintf("closed by server: %d %s", ce.Code, ce.Text))
	case errors.As(err, &ne) && ne.Timeout():
		e.note("connection timed out")
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		e.note("connection cut (EOF)")
	default:
		e.note("connection error")
	}
}

// eventCounts is a snapshot of events, to report what one stretch of a run
// received.
type eventCounts struct {
	Total         int64            `json:"envelopes"`
	ByCode        map[int]int64    `json:"by_code,omitempty"`
	PresenceItems int64            `json:"presence_batch_items,omitempty"`
	Dropped       int64            `json:"connections_dropped"`
	Strays        int64            `json:"stray_timed_messages,omitempty"`
	Errors        map[string]int64 `json:"errors,omitempty"`
}

func (e *events) snapshot() eventCounts {
	s := eventCounts{
		Total: e.total.Load(), ByCode: map[int]int64{}, PresenceItems: e.presenceItems.Load(),
		Dropped: e.dropped.Load(), Strays: e.strays.Load(),
	}
	for i := range e.codes {
		if n := e.codes[i].Load(); n > 0 {
			s.ByCode[10000+i] = n
		}
	}
	e.mu.Lock()
	s.Errors = maps.Clone(e.reasons)
	e.mu.Unlock()
	return s
}

// since returns what arrived between before and s.
func (s eventCounts) since(before eventCounts) eventCounts {
	d := eventCounts{
		Total: s.Total - before.Total, ByCode: map[int]int64{}, PresenceItems: s.PresenceItems - before.PresenceItems,
		Dropped: s.Dropped - before.Dropped, Strays: s.Strays - before.Strays, Errors: map[string]int64{},
	}
	for k, v := range s.ByCode {
		if n := v - before.ByCode[k]; n > 0 {
			d.ByCode[k] = n
		}
	}
	for k, v := range s.Errors {
		if n := v - before.Errors[k]; n > 0 {
			d.Errors[k] = n
		}
	}
	return d
}

// presence counts the presence envelopes among the counts.
func (s eventCounts) presence() int64 {
	return s.ByCode[models.CodeUserOnline] + s.ByCode[models.CodeUserStatus] +
		s.ByCode[models.CodeUserOffline] + s.ByCode[models.CodePresence]
}
