package ice_test

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/stun/v4"

	"callapp/controllers/ice"
)

// TestBadCredentialsGetNoAllocation: forged, expired, malformed and empty
// credentials are refused, and a valid one (the control) is not.
func TestBadCredentialsGetNoAllocation(t *testing.T) {
	r := startRelay(t, nil)
	future, past := time.Now().Add(time.Hour), time.Now().Add(-time.Second)
	forged := ice.NewCredential("not-the-secret-at-all", 1, future)
	expired := ice.NewCredential(testSecret, 1, past)
	cases := []struct {
		name, username, password, log string
	}{
		{"forged", forged.Username, forged.Password, "forged TURN credential"},
		{"right user, password of another", forged.Username, expired.Password, "forged TURN credential"},
		{"expired", expired.Username, expired.Password, "expired TURN credential"},
		{"static user", "alice", ice.Password(testSecret, "alice"), "malformed TURN username"},
		{"empty", "", "", "malformed TURN username"},
	}
	for _, tc := range cases {
		if _, err := allocate(t, turnClient(t, r, tc.username, tc.password)); err == nil {
			t.Errorf("%s: allocation granted", tc.name)
		}
		if !strings.Contains(r.logs.String(), tc.log) {
			t.Errorf("%s: log lacks %q", tc.name, tc.log)
		}
	}
	if st := r.Stats(); st.Active != 0 || st.Created != 0 || st.AuthFailures < uint64(len(cases)) {
		t.Errorf("after refusals: %+v", st)
	}
	if _, err := allocate(t, validClient(t, r, 1)); err != nil {
		t.Fatalf("valid credential refused: %v", err)
	}
	if st := r.Stats(); st.Active != 1 || st.Created != 1 || st.Users != 1 {
		t.Errorf("after one allocation: %+v", st)
	}
	if !strings.Contains(r.logs.String(), "turn relay opened") || !strings.Contains(r.logs.String(), "user=1") {
		t.Errorf("allocation not logged:\n%s", r.logs.String())
	}
}

// TestAnonymousAllocateChallenged sends an Allocate with no credentials at
// all, as a scanner would: the answer is 401 and no relay opens.
func TestAnonymousAllocateChallenged(t *testing.T) {
	r := startRelay(t, nil)
	conn, err := net.Dial("udp4", r.udp)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	udpTransport := stun.RawAttribute{Type: stun.AttrRequestedTransport, Value: []byte{17, 0, 0, 0}}
	req := stun.MustBuild(stun.TransactionID, stun.NewType(stun.MethodAllocate, stun.ClassRequest), udpTransport, stun.Fingerprint)
	if _, err := conn.Write(req.Raw); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 1500)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	res := &stun.Message{Raw: buf[:n]}
	var code stun.ErrorCodeAttribute
	if err := res.Decode(); err != nil || res.Type.Class != stun.ClassErrorResponse || code.GetFrom(res) != nil || code.Code != stun.CodeUnauthorized {
		t.Errorf("anonymous Allocate answered %v (code %v, err %v)", res.Type, code.Code, err)
	}
	if st := r.Stats(); st.Active != 0 {
		t.Errorf("anonymous allocation opened: %+v", st)
	}
}

// TestCredentialRefusedOnceExpired: a relay opened with a valid credential
// can do nothing more with it once it expires; the page must renew it.
func TestCredentialRefusedOnceExpired(t *testing.T) {
	var skew atomic.Int64
	r := startRelay(t, func(o *ice.ServerOptions) {
		o.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	c := validClient(t, r, 5)
	if _, err := allocate(t, c); err != nil {
		t.Fatal(err)
	}
	p := peer(t)
	if err := c.CreatePermission(p.LocalAddr()); err != nil {
		t.Fatalf("permission with a valid credential: %v", err)
	}
	skew.Store(int64(2 * time.Hour))
	if err := c.CreatePermission(p.LocalAddr()); err == nil {
		t.Error("permission granted with an expired credential")
	}
	if !strings.Contains(r.logs.String(), "expired TURN credential") {
		t.Errorf("refused for another reason:\n%s", r.logs.String())
	}
}
