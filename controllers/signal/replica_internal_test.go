package signal

import (
	"bytes"
	"testing"
)

// FuzzFrame: a frame from another node is decoded without panicking,
// whatever its bytes, and one the hub encodes decodes to what it said.
func FuzzFrame(f *testing.F) {
	f.Add(encodeFrame(frame{kind: frameRelay, at: Pos{Life: 7, Seq: 42}, to: 2, from: 1, payload: []byte(`{"x":1}`)}))
	f.Add([]byte{frameStats})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := decodeFrame(b)
		if !ok {
			return
		}
		if again := encodeFrame(got); !bytes.Equal(again, b) {
			t.Fatalf("encode(decode(%x)) = %x", b, again)
		}
	})
}
