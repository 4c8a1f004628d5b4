package signal

import (
	"net"
	"testing"
	"time"
)

// deadlineLog is a net.Conn that records the write deadlines it is given.
type deadlineLog struct {
	net.Conn
	set []time.Time
}

func (d *deadlineLog) SetWriteDeadline(t time.Time) error {
	d.set = append(d.set, t)
	return nil
}

func TestSocketPassesOnlyDeadlinesThatChangeSomething(t *testing.T) {
	log := &deadlineLog{}
	s := &socket{Conn: log}
	at := time.Now().Add(time.Second)
	for _, d := range []time.Time{{}, {}, at, {}, {}, at, at} {
		if err := s.SetWriteDeadline(d); err != nil {
			t.Fatal(err)
		}
	}
	// Zero while none is set: dropped. A deadline, and the zero that
	// clears it: passed on.
	want := []time.Time{at, {}, at, at}
	if len(log.set) != len(want) {
		t.Fatalf("passed on %v, want %v", log.set, want)
	}
	for i := range want {
		if !log.set[i].Equal(want[i]) {
			t.Errorf("deadline %d = %v, want %v", i, log.set[i], want[i])
		}
	}
}
