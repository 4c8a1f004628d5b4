package signal

import (
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"

	"callapp/models"
)

// encode marshals a system envelope. Every outgoing envelope is marshaled
// once, however many users receive it.
func encode(code int, method string, data any) []byte {
	return marshal(models.Outbound{Method: method, Type: models.TypeSystem, Code: code, Data: data})
}

// encodeMessage marshals a system envelope with a human-readable message.
func encodeMessage(code int, method, message string, data any) []byte {
	return marshal(models.Outbound{Method: method, Type: models.TypeSystem, Message: message, Code: code, Data: data})
}

// encodeText marshals a chat envelope (type 1).
func encodeText(code int, method string, data any) []byte {
	return marshal(models.Outbound{Method: method, Type: models.TypeText, Code: code, Data: data})
}

func marshal(env models.Outbound) []byte {
	b, err := json.Marshal(env)
	if err != nil {
		// Only our own view types get here; this is a programming error.
		slog.Error("signal: cannot marshal envelope", "code", env.Code, "err", err)
		return nil
	}
	return b
}

// encodeRelay builds a relayed offer, answer or candidate by hand, so
// that data goes out byte for byte as the sender wrote it (json.Marshal
// would compact and re-escape it) in one allocation. data is a complete
// JSON value: the request decoder has validated it.
func encodeRelay(code int, method string, fromID uint64, data json.RawMessage) []byte {
	b := make([]byte, 0, len(data)+len(method)+96)
	b = appendHeader(b, code, method)
	b = append(b, `{"fromId":`...)
	b = strconv.AppendUint(b, fromID, 10)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	return append(b, "}}"...)
}

// appendHeader appends a system envelope up to its data value, with the
// fields in the order json.Marshal writes models.Outbound.
func appendHeader(b []byte, code int, method string) []byte {
	b = append(b, `{"method":`...)
	b = strconv.AppendQuote(b, method) // a method constant: plain ASCII
	b = append(b, `,"type":0,"message":"","code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	return append(b, `,"data":`...)
}

// jsonList is a JSON array whose elements, each about one user, are
// marshaled once, so that a copy leaving one user out (a recipient never
// hears about themselves) costs a memcpy rather than a marshal. Elements
// are added in ascending user id.
type jsonList struct {
	ids  []uint64 // the user element i is about
	ends []int    // where element i ends in buf
	buf  []byte   // the elements, comma-separated
}

// addUser appends u (10000, 10018 online).
func (l *jsonList) addUser(u models.OnlineUser) {
	b := l.begin()
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, u.ID, 10)
	b = appendJSONString(append(b, `,"username":`...), u.Username)
	b = appendJSONString(append(b, `,"status":`...), u.Status)
	l.end(u.ID, append(b, '}'))
}

// addID appends a bare user id (10018 offline).
func (l *jsonList) addID(id uint64) {
	l.end(id, strconv.AppendUint(l.begin(), id, 10))
}

// addStatus appends s (10018 status).
func (l *jsonList) addStatus(s models.StatusChange) {
	b := l.begin()
	b = strconv.AppendUint(append(b, `{"id":`...), s.ID, 10)
	b = appendJSONString(append(b, `,"status":`...), s.Status)
	l.end(s.ID, append(b, '}'))
}

// begin returns buf ready for the next element; end records it. The
// elements are appended by hand: json.Marshal's reflection over a large
// 10000 list was the most expensive part of a presence tick.
func (l *jsonList) begin() []byte {
	if len(l.buf) > 0 {
		return append(l.buf, ',')
	}
	return l.buf
}

func (l *jsonList) end(id uint64, buf []byte) {
	l.buf = buf
	l.ids = append(l.ids, id)
	l.ends = append(l.ends, len(buf))
}

// appendJSONString appends s as a JSON string. Usernames are letters,
// digits and "_.-", so the usual case is a plain copy; anything that may
// need escaping goes through encoding/json for its rules.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, err := json.Marshal(s)
			if err != nil {
				return append(b, `""`...) // a string always marshals
			}
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// index returns the element about user id, or -1.
func (l *jsonList) index(id uint64) int {
	if i, ok := slices.BinarySearch(l.ids, id); ok {
		return i
	}
	return -1
}

// appendArray appends the array without the element about skip (0 for
// none).
func (l *jsonList) appendArray(dst []byte, skip uint64) []byte {
	dst = append(dst, '[')
	if from, to, ok := l.cut(skip); ok {
		dst = append(append(dst, l.buf[:from]...), l.buf[to:]...)
	} else {
		dst = append(dst, l.buf...)
	}
	return append(dst, ']')
}

// cut finds the element about id with one of its commas: buf[:from]
// followed by buf[to:] is the list without it. ok is false if no element
// is about id.
func (l *jsonList) cut(id uint64) (from, to int, ok bool) {
	i := l.index(id)
	switch {
	case i < 0:
		return 0, 0, false
	case i > 0:
		return l.ends[i-1], l.ends[i], true // ",element"
	case len(l.ends) > 1:
		return 0, l.ends[0] + 1, true // "element," at the start
	}
	return 0, l.ends[0], true // the only one
}
