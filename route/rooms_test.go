package route_test

import (
	"testing"
)

// TestAdminSeesRooms: a room and its members show in the admin's live
// view and in /metrics while someone is in it.
func TestAdminSeesRooms(t *testing.T) {
	a := newApp(t, "sqlite", nil)
	admin := a.Register("alice")
	bob := a.connect(a.Register("bob"))
	await(t, bob, 10004)
	bob.WriteJSON(map[string]any{"method": "Room/Join", "type": 1, "data": map[string]string{"room": "Lobby"}})
	await(t, bob, 10020)

	live := a.Do(admin, "GET", "/webrtc/api/admin/live", "", "")
	if live.Status != 200 || !contains(string(live.Data), `"rooms":[{"name":"lobby","members":[{"id":2,"username":"bob"}]}]`) ||
		!contains(string(live.Data), `"rooms":1,"roomMembers":1`) {
		t.Errorf("live: %d %s", live.Status, live.Data)
	}
	_, body := a.scrape(admin)
	if sample(body, "callapp_rooms") != 1 || sample(body, "callapp_room_members") != 1 {
		t.Errorf("metrics without the room:\n%s", body)
	}
}
