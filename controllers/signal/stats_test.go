package signal_test

import (
	"sync/atomic"
	"testing"
	"time"

	"callapp/models"
)

func TestCountersFollowTheTraffic(t *testing.T) {
	t.Parallel()
	opts := fast()
	var relayed atomic.Int64
	opts.ObserveRelay = func(d time.Duration) {
		if d > 0 && d < wait {
			relayed.Add(1)
		}
	}
	h := start(t, opts)
	a, b := h.join(1, "alice"), h.join(2, "bob")
	callID := connectCall(t, a, b)
	a.send(models.MethodCandidate, 2, map[string]string{"candidate": "c"})
	b.expect(models.CodeCandidate)
	a.sendRaw([]byte(`not json`))
	a.expectError("", models.ReasonBadJSON)
	a.call(models.MethodHangup, 2, callID)
	b.expect(models.CodeCallEnded)
	b.conn.Close()
	eventually(t, "bob's socket closed", func() bool { return h.hub.Stats().OpenConnections == 1 })

	c := h.hub.Counters()
	checks := []struct {
		what      string
		got, want uint64
	}{
		{"in User/Connect", c.InByMethod[models.MethodConnect], 2},
		{"in Message/Candidate", c.InByMethod[models.MethodCandidate], 1},
		{"in other (not JSON)", c.InByMethod["other"], 1},
		{"out Message/Candidate", c.OutByMethod[models.MethodCandidate], 1},
		{"out Call/Invite (10017, 10012)", c.OutByMethod[models.MethodInvite], 2},
		{"errors bad_json", c.Errors[models.ReasonBadJSON], 1},
		{"calls started", c.CallsStarted, 1},
		{"calls ended by hangup", c.CallsEnded[models.CallHangup], 1},
		{"closes of bob's dropped socket", c.Closes["1000"] + c.Closes["broken"], 1},
		{"relays timed", uint64(relayed.Load()), 1},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %d, want %d", ck.what, ck.got, ck.want)
		}
	}
	var in, out uint64
	for _, n := range c.InByMethod {
		in += n
	}
	for _, n := range c.OutByMethod {
		out += n
	}
	if s := h.hub.Stats(); s.MessagesIn != in || s.MessagesOut != out || c.MessagesIn != in {
		t.Errorf("dashboard in/out %d/%d, by method %d/%d: two sets of counters", s.MessagesIn, s.MessagesOut, in, out)
	}
}
