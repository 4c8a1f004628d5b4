package main

import (
	"bytes"
	"strconv"
	"time"
)

// The load tool stamps every message it times with a marker,
// "~lt~PHASE.SEQ.SENT~", inside the relayed data or the chat text. SENT is
// nanoseconds on this process's monotonic clock, so one process can time a
// message from send to receipt. '~', '.' and digits pass through JSON
// unescaped, so the marker reads the same in what the server sends back.
var markerStart = []byte("~lt~")

// epoch is the zero of clock().
var epoch = time.Now()

// clock returns monotonic nanoseconds since the tool started.
func clock() int64 { return int64(time.Since(epoch)) }

// stamp is what a marker carries.
type stamp struct {
	phase int
	seq   int64
	sent  int64 // clock() at sending
}

// appendMarker appends the marker for s to b.
func appendMarker(b []byte, s stamp) []byte {
	b = append(b, markerStart...)
	b = strconv.AppendInt(b, int64(s.phase), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, s.seq, 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, s.sent, 10)
	return append(b, '~')
}

// findMarker reads the first marker in msg.
func findMarker(msg []byte) (stamp, bool) {
	i := bytes.Index(msg, markerStart)
	if i < 0 {
		return stamp{}, false
	}
	rest := msg[i+len(markerStart):]
	var nums [3]int64
	for k := range nums {
		n, used := parseUint(rest)
		want := byte('.')
		if k == 2 {
			want = '~'
		}
		if used == 0 || used >= len(rest) || rest[used] != want {
			return stamp{}, false
		}
		nums[k], rest = n, rest[used+1:]
	}
	return stamp{phase: int(nums[0]), seq: nums[1], sent: nums[2]}, true
}

// parseUint reads leading decimal digits; used is how many bytes it took.
func parseUint(b []byte) (n int64, used int) {
	for used < len(b) && used < 19 && b[used] >= '0' && b[used] <= '9' {
		n = n*10 + int64(b[used]-'0')
		used++
	}
	return n, used
}

var codeKey = []byte(`"code":`)

// envelopeCode returns the code of a server envelope without decoding it:
// the reader handles tens of thousands a second. The server writes "code"
// before "data", and a "code" key inside a string would be escaped, so the
// first match is the envelope's own.
func envelopeCode(msg []byte) int {
	i := bytes.Index(msg, codeKey)
	if i < 0 {
		return 0
	}
	n, used := parseUint(msg[i+len(codeKey):])
	if used == 0 {
		return 0
	}
	return int(n)
}

var reasonKey = []byte(`"reason":"`)

// envelopeReason returns the "reason" of a 10001, 10015 or 10016
// envelope, or "" when it has none.
func envelopeReason(msg []byte) string {
	i := bytes.Index(msg, reasonKey)
	if i < 0 {
		return ""
	}
	rest := msg[i+len(reasonKey):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || j > 64 {
		return ""
	}
	return string(rest[:j])
}
