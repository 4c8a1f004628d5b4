package ice_test

import (
	"net"
	"testing"

	"callapp/controllers/ice"
)

func TestPeerPolicy(t *testing.T) {
	lan := ice.PeerPolicy{AllowPrivate: true}                        // the default
	public := ice.PeerPolicy{}                                       // TURN_ALLOW_PRIVATE=false
	tests := ice.PeerPolicy{AllowPrivate: true, AllowLoopback: true} // TURN_ALLOW_LOOPBACK=true
	cases := []struct {
		ip                string
		lan, public, test bool
	}{
		{"203.0.113.9", true, true, true}, // an ordinary public peer
		{"2001:db8::9", true, true, true},
		{"192.168.1.20", true, false, true},
		{"10.1.2.3", true, false, true},
		{"172.16.0.1", true, false, true},
		{"100.64.0.1", true, false, true},
		{"127.0.0.1", false, false, true},
		{"127.8.9.10", false, false, true},
		{"::1", false, false, true},
		{"::ffff:127.0.0.1", false, false, true}, // mapped loopback is loopback
		{"169.254.169.254", false, false, false}, // cloud metadata
		{"169.254.1.1", false, false, false},
		{"0.0.0.0", false, false, false},
		{"0.1.2.3", false, false, false},
		{"::", false, false, false},
		{"224.0.0.251", false, false, false}, // mDNS multicast
		{"239.255.255.250", false, false, false},
		{"255.255.255.255", false, false, false},
		{"ff02::1", false, false, false},
		{"fe80::1", false, false, false},
		{"fd12:3456::1", false, false, false}, // unique local
		{"fc00::1", false, false, false},
		{"64:ff9b::a9fe:a9fe", false, false, false}, // NAT64 form of 169.254.169.254
		{"::ffff:169.254.169.254", false, false, false},
	}
	for _, tc := range cases {
		ip := net.ParseIP(tc.ip)
		for name, c := range map[string]struct {
			p    ice.PeerPolicy
			want bool
		}{"lan": {lan, tc.lan}, "public": {public, tc.public}, "test": {tests, tc.test}} {
			if got := c.p.Allowed(ip); got != c.want {
				t.Errorf("%s policy, %s: allowed %v, want %v", name, tc.ip, got, c.want)
			}
		}
	}
	if lan.Allowed(nil) {
		t.Error("nil IP allowed")
	}
}
