package ice_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"callapp/controllers/ice"
)

// TestCredentialKnownVector pins the scheme to a vector computed outside
// Go, the way coturn computes it:
//
//	echo -n "1700000000:42" | openssl dgst -sha1 -hmac "north-wind-secret-0123" -binary | base64
func TestCredentialKnownVector(t *testing.T) {
	c := ice.NewCredential("north-wind-secret-0123", 42, time.Unix(1700000000, 0))
	if c.Username != "1700000000:42" || c.Password != "IyoXSqE5nwfUj2NcLrkNxWHgciE=" {
		t.Errorf("credential = %q / %q", c.Username, c.Password)
	}
	if !c.Expires.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("expires %v", c.Expires)
	}
}

// TestCredentialAcceptedByPion checks against a second, independent
// implementation: pion's own TURN REST handler derives the same key.
func TestCredentialAcceptedByPion(t *testing.T) {
	const secret, realm = "another-secret-of-16+", "callapp"
	c := ice.NewCredential(secret, 7, time.Now().Add(time.Hour))
	user, key, ok := turn.LongTermTURNRESTAuthHandler(secret, nil)(&turn.RequestAttributes{Username: c.Username, Realm: realm})
	if !ok || user != "7" || string(key) != string(turn.GenerateAuthKey(c.Username, realm, c.Password)) {
		t.Errorf("pion: user %q ok %v, key mismatch %v", user, ok, string(key) != string(turn.GenerateAuthKey(c.Username, realm, c.Password)))
	}
}

func TestCredentialExpiry(t *testing.T) {
	now := time.Unix(1_800_000_000, 500_000_000)
	p := ice.NewProvider(ice.ProviderOptions{
		Secret: "s", TTL: 90 * time.Minute, TURNURLs: []string{"turn:relay.example:3478"},
		Now: func() time.Time { return now },
	})
	servers := p.ICEServers(9)
	expires, id, ok := ice.ParseUsername(servers[0].Username)
	if !ok || id != 9 || expires.Unix() != now.Add(90*time.Minute).Unix() {
		t.Errorf("username %q: expires %v id %d ok %v", servers[0].Username, expires, id, ok)
	}
	if servers[0].Credential != ice.Password("s", servers[0].Username) {
		t.Error("password is not the HMAC of the username")
	}
	if p.TTL() != 90*time.Minute {
		t.Errorf("TTL %v", p.TTL())
	}
	for _, bad := range []string{"", "42", "abc:42", "1700000000:", "1700000000:bob", "1700000000:4:2", "-:1"} {
		if _, _, ok := ice.ParseUsername(bad); ok {
			t.Errorf("ParseUsername(%q) accepted", bad)
		}
	}
}

func TestProviderShapes(t *testing.T) {
	stun := []string{"stun:stun.example:3478"}
	turnURLs := []string{"turn:a.example:3478?transport=udp", "turns:a.example:5349"}
	cases := []struct {
		name      string
		opts      ice.ProviderOptions
		entries   int
		withCreds bool
	}{
		{"stun only", ice.ProviderOptions{STUNURLs: stun, TTL: time.Hour}, 1, false},
		{"external turn", ice.ProviderOptions{Secret: "x", STUNURLs: stun, TURNURLs: turnURLs, TTL: time.Hour}, 2, true},
		{"nothing", ice.ProviderOptions{TTL: time.Hour}, 0, false},
	}
	for _, tc := range cases {
		p := ice.NewProvider(tc.opts)
		got := p.ICEServers(1)
		if len(got) != tc.entries || got == nil {
			t.Errorf("%s: %d entries (%v), want %d", tc.name, len(got), got, tc.entries)
			continue
		}
		if len(got) == 0 {
			continue
		}
		last := got[len(got)-1]
		if tc.withCreds != (last.Username != "" && last.Credential != "") || (tc.withCreds != (p.TTL() > 0)) {
			t.Errorf("%s: credentials %q/%q, ttl %v", tc.name, last.Username, last.Credential, p.TTL())
		}
		if tc.withCreds && strings.Join(last.URLs, ",") != strings.Join(turnURLs, ",") {
			t.Errorf("%s: TURN URLs %v", tc.name, last.URLs)
		}
	}
	var none *ice.Provider
	if got := none.ICEServers(1); got == nil || len(got) != 0 || none.TTL() != 0 {
		t.Errorf("nil provider: %v %v", got, none.TTL())
	}
}
