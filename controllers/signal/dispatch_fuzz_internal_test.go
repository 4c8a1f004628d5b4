package signal

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"callapp/models"
)

// FuzzDecodeInbound feeds any bytes to the envelope decoder, then to the
// whole request path of user 1, who is in an accepted call with user 2 and
// shares the hub with user 3. Whatever the bytes, the decoder keeps nothing
// of what is not JSON, every envelope queued is JSON, a relay reaches only
// the peer, carries the sender's id from the session and the data byte for
// byte, and the bystander hears nothing but chat.
func FuzzDecodeInbound(f *testing.F) {
	for _, seed := range []string{
		`{"method":"Message/Offer","toId":2,"data":{"sdp":"v=0\r\n"}}`,
		`{"method":"Message/Candidate","toId":2,"fromId":3,"data":{"candidate":"candidate:1 1 udp 1 203.0.113.7 49152 typ host","fromId":3}}`,
		`{"method":"Message/Answer","toId":3,"data":"x"}`,
		`{"method":"Call/Hangup","toId":2,"data":{"callId":"c"}}`,
		`{"method":"Message/SendToAll","message":"hello\u0000 <b>"}`,
		`{"method":"Call/Invite","toId":2,"toId":3}`,
		`{"METHOD":"Message/Offer","ToId":2,"DATA":[1,2,{"a":null}]}`,
		"{\"method\":\"Message/Offer\",\"toId\":2,\"data\":\"\xff\"}",
		`[[[[[[[[[[[[[[[[[[[[[[[[`,
		`{"method":"Message/Offer","toId":18446744073709551615,"data":1e999}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var in models.Inbound
		err := decodeInbound(raw, &in)
		if err != nil && !json.Valid(raw) && (in.Method != "" || in.Data != nil) {
			t.Fatalf("kept %+v of input that is not JSON", in)
		}
		if err == nil && !isNull(in.Data) {
			checkRelay(t, in)
		}
		checkDispatch(t, raw)
	})
}

// checkRelay: the relay envelope built from a decoded request is JSON whose
// sender is the one given and whose data is the request's, unchanged.
func checkRelay(t *testing.T, in models.Inbound) {
	t.Helper()
	var out struct {
		Data struct {
			FromID uint64          `json:"fromId"`
			Data   json.RawMessage `json:"data"`
		} `json:"data"`
	}
	msg := encodeRelay(models.CodeOffer, models.MethodOffer, 1, in.Data)
	if err := json.Unmarshal(msg, &out); err != nil {
		t.Fatalf("relay %q is not JSON: %v", msg, err)
	}
	if out.Data.FromID != 1 || !bytes.Equal(out.Data.Data, in.Data) {
		t.Fatalf("relay %q: from %d data %q, want from 1 data %q", msg, out.Data.FromID, out.Data.Data, in.Data)
	}
}

// checkDispatch runs raw through the request path of a hub without sockets.
func checkDispatch(t *testing.T, raw []byte) {
	t.Helper()
	o := testOptions()
	o.MessageRate, o.MessageBurst, o.ChatRate, o.ChatBurst = 1e9, 1e9, 1e9, 1e9
	o.RingTimeout, o.PresenceTick = time.Hour, time.Hour
	h := newTestHub(t, o, nullStore{})
	users := []*client{benchClient(h, 1), benchClient(h, 2), benchClient(h, 3)}
	h.do(func() {
		for _, c := range users {
			h.attach(c, time.Now())
			h.register(c, models.Welcome{}, encode(models.CodeWelcome, models.MethodConnect, nil), false)
		}
		h.ring(models.UserBrief{ID: 1, Username: "user1"}, 2).accepted = true
		h.stats.ringing.Add(-1)
		h.stats.active.Add(1)
	})
	for _, c := range users {
		drainRaw(t, c)
	}
	h.dispatch(users[0], raw, time.Now())
	h.do(func() {})
	drainRaw(t, users[0])
	for _, msg := range drainRaw(t, users[1]) {
		if e, _ := parseEvent(msg); e.Code >= models.CodeCandidate && e.Code <= models.CodeAnswer && e.Data.FromID != 1 {
			t.Fatalf("relay to the peer names sender %d: %s", e.Data.FromID, msg)
		}
	}
	for _, msg := range drainRaw(t, users[2]) {
		if e, _ := parseEvent(msg); e.Code != models.CodeChat {
			t.Fatalf("the bystander was sent %s", msg)
		}
	}
}

// drainRaw takes what the hub queued for c; each must be one JSON value.
func drainRaw(t *testing.T, c *client) [][]byte {
	t.Helper()
	c.mu.Lock()
	queue := c.queue
	c.queue = nil
	c.mu.Unlock()
	var msgs [][]byte
	for _, m := range queue {
		msg := append(append([]byte(nil), m.data...), m.tail...)
		if !json.Valid(msg) {
			t.Fatalf("queued for user %d: %q is not JSON", c.user.ID, msg)
		}
		msgs = append(msgs, msg)
	}
	return msgs
}
