package signal

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"callapp/models"
)

func TestJSONListLeavesOneOut(t *testing.T) {
	var l jsonList
	for _, id := range []uint64{3, 5, 9} {
		l.addID(id)
	}
	cases := map[uint64]string{0: "[3,5,9]", 3: "[5,9]", 5: "[3,9]", 9: "[3,5]", 4: "[3,5,9]"}
	for skip, want := range cases {
		if got := string(l.appendArray(nil, skip)); got != want {
			t.Errorf("skip %d: %s, want %s", skip, got, want)
		}
	}
	var one jsonList
	one.addStatus(models.StatusChange{ID: 7, Status: models.StatusOnline})
	if got := string(one.appendArray(nil, 7)); got != "[]" {
		t.Errorf("the only element left out: %s", got)
	}
	if got := string(new(jsonList).appendArray(nil, 0)); got != "[]" {
		t.Errorf("empty: %s", got)
	}
}

// recorder is a Router that keeps what it was asked to deliver.
type routerLog struct {
	sent      map[uint64][]byte
	broadcast [][]byte
	except    [][]uint64
	spliced   int
}

func (r *routerLog) SendToUser(id uint64, msg []byte) bool {
	r.sent[id] = msg
	return true
}

func (r *routerLog) SendSplice(id uint64, head, tail []byte) bool {
	r.spliced++
	return r.SendToUser(id, append(append([]byte(nil), head...), tail...))
}

func (r *routerLog) Broadcast(msg []byte, except ...uint64) {
	r.broadcast = append(r.broadcast, msg)
	r.except = append(r.except, except)
}

func TestBatchIsMarshaledOnceAndLeavesRecipientsOut(t *testing.T) {
	b := new(presenceBatch)
	b.addOnline(models.OnlineUser{ID: 2, Username: "bob", Status: models.StatusOnline})
	b.addOffline(4)
	b.addStatus(models.StatusChange{ID: 7, Status: models.StatusInCall})
	r := &routerLog{sent: map[uint64][]byte{}}
	b.deliver(r)

	if len(r.broadcast) != 1 || len(r.except[0]) != 2 || r.except[0][0] != 2 || r.except[0][1] != 7 {
		t.Fatalf("broadcasts %d, except %v: want one, all but 2 and 7", len(r.broadcast), r.except)
	}
	var env struct {
		Code   int
		Method string
		Data   models.Presence
	}
	if err := json.Unmarshal(r.broadcast[0], &env); err != nil || env.Code != models.CodePresence || env.Method != models.MethodStatus {
		t.Fatalf("shared envelope %s: %v", r.broadcast[0], err)
	}
	if len(env.Data.Online) != 1 || env.Data.Offline[0] != 4 || env.Data.Status[0].ID != 7 {
		t.Errorf("shared data = %+v", env.Data)
	}
	// Each user the batch is about gets it without their own entry.
	if err := json.Unmarshal(r.sent[2], &env); err != nil || len(env.Data.Online) != 0 || len(env.Data.Status) != 1 {
		t.Errorf("bob's copy %s: %v", r.sent[2], err)
	}
	if err := json.Unmarshal(r.sent[7], &env); err != nil || len(env.Data.Online) != 1 || len(env.Data.Status) != 0 {
		t.Errorf("user 7's copy %s: %v", r.sent[7], err)
	}
	if _, ok := r.sent[4]; ok {
		t.Error("the user who left was sent something")
	}
	if r.spliced != 2 {
		t.Errorf("%d copies spliced, want both", r.spliced)
	}
}

// Every user a batch is about gets the batch without their own entry,
// wherever the entry is in its list: the spliced copies read like
// envelopes encoded for them alone.
func TestSplicedCopiesLeaveTheirOwnEntryOut(t *testing.T) {
	for _, n := range []int{1, 2, 5} {
		b := new(presenceBatch)
		for id := uint64(1); id <= uint64(n); id++ {
			b.addOnline(models.OnlineUser{ID: id, Username: fmt.Sprint("u", id), Status: models.StatusOnline})
		}
		b.addOffline(50)
		for id := uint64(100); id < 100+uint64(n); id++ {
			b.addStatus(models.StatusChange{ID: id, Status: models.StatusInCall})
		}
		r := &routerLog{sent: map[uint64][]byte{}}
		b.deliver(r)
		for id, got := range r.sent {
			var env struct{ Data models.Presence }
			if err := json.Unmarshal(got, &env); err != nil {
				t.Fatalf("n=%d: user %d got %s: %v", n, id, got, err)
			}
			if len(env.Data.Online)+len(env.Data.Offline)+len(env.Data.Status) == 0 {
				continue // a lone change: the old codes, tested above
			}
			want := 2*n + 1 - 1
			seen := len(env.Data.Online) + len(env.Data.Offline) + len(env.Data.Status)
			if seen != want {
				t.Errorf("n=%d: user %d sees %d changes, want %d: %s", n, id, seen, want, got)
			}
			for _, u := range env.Data.Online {
				if u.ID == id {
					t.Errorf("n=%d: user %d is told of their own arrival: %s", n, id, got)
				}
			}
			for _, s := range env.Data.Status {
				if s.ID == id {
					t.Errorf("n=%d: user %d is told of their own status: %s", n, id, got)
				}
			}
		}
		if len(r.sent) != 2*n {
			t.Errorf("n=%d: %d users sent a copy, want %d", n, len(r.sent), 2*n)
		}
	}
}

func TestBatchOfOneUsesTheOldCodes(t *testing.T) {
	b := new(presenceBatch)
	b.addOnline(models.OnlineUser{ID: 2, Username: "bob", Status: models.StatusOnline})
	b.addStatus(models.StatusChange{ID: 3, Status: models.StatusInCall})
	r := &routerLog{sent: map[uint64][]byte{}}
	b.deliver(r)
	want := map[uint64]string{
		2: `{"method":"User/Status","type":0,"message":"","code":10007,"data":{"id":3,"status":"in_call"}}`,
		3: `{"method":"User/Connect","type":0,"message":"","code":10006,"data":{"id":2,"username":"bob","status":"online"}}`,
	}
	for id, w := range want {
		if string(r.sent[id]) != w {
			t.Errorf("user %d got %s\nwant %s", id, r.sent[id], w)
		}
	}
	if got, _ := b.envelope(); got == nil || json.Valid(got) == false {
		t.Errorf("shared envelope %s", got)
	}
	lone := new(presenceBatch)
	lone.addOffline(9)
	if got, _ := lone.envelope(); string(got) != `{"method":"User/Disconnect","type":0,"message":"","code":10008,"data":{"fromId":9}}` {
		t.Errorf("lone offline = %s", got)
	}
}

func TestListElementsMatchEncodingJSON(t *testing.T) {
	users := []models.OnlineUser{
		{ID: 1, Username: "alice", Status: models.StatusOnline},
		{ID: 2, Username: "jörg", Status: models.StatusInCall},
		{ID: 3, Username: "a\"b<c>&\\d\u2028", Status: models.StatusOnline},
	}
	var l jsonList
	for _, u := range users {
		l.addUser(u)
	}
	want, _ := json.Marshal(users)
	if got := l.appendArray(nil, 0); string(got) != string(want) {
		t.Errorf("hand-encoded\n%s\nencoding/json\n%s", got, want)
	}
	var s jsonList
	s.addStatus(models.StatusChange{ID: 9, Status: models.StatusInCall})
	want, _ = json.Marshal([]models.StatusChange{{ID: 9, Status: models.StatusInCall}})
	if got := s.appendArray(nil, 0); string(got) != string(want) {
		t.Errorf("status list %s, want %s", got, want)
	}
}

func TestTickStretchesWithTheUsersOnline(t *testing.T) {
	o := testOptions()
	o.PresenceTick, o.PresenceRate = 200*time.Millisecond, 10
	h := newTestHub(t, o, nullStore{})
	for _, c := range []struct {
		online int
		want   time.Duration
	}{{0, 200 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 300 * time.Millisecond}, {25, 2500 * time.Millisecond}} {
		var got time.Duration
		h.do(func() {
			clear(h.clients)
			for id := range c.online {
				h.clients[uint64(id+1)] = &client{}
			}
			got = h.presenceTick()
			clear(h.clients)
		})
		if got != c.want {
			t.Errorf("%d online: tick %v, want %v", c.online, got, c.want)
		}
	}
}
