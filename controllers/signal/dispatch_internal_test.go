package signal

import (
	"testing"

	"callapp/models"
)

func TestDecodeInbound(t *testing.T) {
	cases := []struct {
		raw    string
		ok     bool
		method string
		toID   uint64
		data   string
	}{
		{`{"method":"Message/Offer","toId":2,"data":{"sdp":"v=0"},"fromId":9}`, true, models.MethodOffer, 2, `{"sdp":"v=0"}`},
		{`{"METHOD":"Call/Invite","ToId":3}`, true, models.MethodInvite, 3, ``},    // names match without case, as encoding/json's
		{`{"method":"Call/Invite","toId":"3"}`, false, models.MethodInvite, 0, ``}, // a type error keeps the method for the 10001
		{`{"method":"Message/SendToAll","message":`, false, "", 0, ``},             // not JSON: nothing kept
		{`{"method":"Call/Invite","toId":"3"`, false, "", 0, ``},                   // a type error, then truncated: not JSON (found by FuzzDecodeInbound)
		{`{"method":"Call/Invite","toId":2,"toId":3}`, false, "", 0, ``},
		{`{"method":"Message/Offer","data":{"a":}}`, false, "", 0, ``},
	}
	for _, tc := range cases {
		var in models.Inbound
		err := decodeInbound([]byte(tc.raw), &in)
		if (err == nil) != tc.ok || in.Method != tc.method || in.ToID != tc.toID || string(in.Data) != tc.data {
			t.Errorf("%s: %+v %s, err %v", tc.raw, in, in.Data, err)
		}
	}
}
