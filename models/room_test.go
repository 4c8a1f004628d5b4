package models

import (
	"strings"
	"testing"
)

// TestRoomKey: names of letters, digits, _ and - up to RoomNameMax are
// rooms, one per spelling regardless of case; anything else is refused.
func TestRoomKey(t *testing.T) {
	for name, want := range map[string]string{
		"Room1": "room1", "room1": "room1", "a": "a", "A_b-9": "a_b-9",
		strings.Repeat("x", RoomNameMax): strings.Repeat("x", RoomNameMax),
	} {
		if got, ok := RoomKey(name); !ok || got != want {
			t.Errorf("RoomKey(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"", strings.Repeat("x", RoomNameMax+1), "a b", "../x", "a/b", "é", "ｒoom", "a\x00", "K\u212a"} {
		if got, ok := RoomKey(name); ok {
			t.Errorf("RoomKey(%q) = %q, accepted", name, got)
		}
	}
}
