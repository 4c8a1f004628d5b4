package main

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"callapp/models"
)

// TestClusterChat: group chat from users on every node reaches every user
// on every node exactly once, in one order, is stored once, and the
// history a newcomer gets is the same on every node.
func TestClusterChat(t *testing.T) {
	forEachSharedDB(t, func(t *testing.T, driver string) {
		noLeaks(t)
		nodes := startNodes(t, 3, driver)
		var users []*nodeUser
		for i := range 6 {
			node := nodes[i%3]
			u := register(t, node, fmt.Sprintf("user%d", i))
			u.connect(node.URL, false)
			users = append(users, u)
		}
		const each = 3 // within CHAT_BURST
		for _, u := range users {
			for i := range each {
				u.chat(fmt.Sprintf("%s says %d", u.name, i))
			}
		}
		total := each * len(users)

		var first []models.ChatMessageView
		for _, u := range users {
			got := make([]models.ChatMessageView, 0, total)
			seen := map[uint64]bool{}
			for range total {
				m := decodeFrame[models.ChatMessageView](t, u.expect(models.CodeChat))
				if seen[m.ID] {
					t.Fatalf("%s got message %d twice", u.name, m.ID)
				}
				seen[m.ID] = true
				got = append(got, m)
			}
			u.quiet(500 * time.Millisecond) // nothing more
			if first == nil {
				first = got
				continue
			}
			if !slices.EqualFunc(got, first, sameChat) {
				t.Errorf("%s's messages differ from %s's:\n%v\n%v", u.name, users[0].name, got, first)
			}
		}
		for _, u := range users { // each sender's own messages in its order
			var mine []string
			for _, m := range first {
				if m.FromID == u.id {
					mine = append(mine, m.Message)
				}
			}
			want := []string{u.name + " says 0", u.name + " says 1", u.name + " says 2"}
			if !slices.Equal(mine, want) {
				t.Errorf("%s's messages as delivered: %q", u.name, mine)
			}
		}

		// Stored once each, by id: two nodes may save in one order and
		// deliver in the other.
		byID := slices.SortedFunc(slices.Values(first), func(a, b models.ChatMessageView) int { return cmp.Compare(a.ID, b.ID) })
		var stored []models.ChatMessageView
		nodes[1].Get(users[0].http, "/webrtc/api/messages?limit=200", &stored)
		if !slices.EqualFunc(stored, byID, sameChat) {
			t.Errorf("stored messages:\n%v\nwant those delivered:\n%v", stored, byID)
		}
		for i, node := range nodes {
			late := register(t, node, fmt.Sprintf("late%d", i))
			late.connect(node.URL, false)
			if !slices.EqualFunc(late.history, byID, sameChat) {
				t.Errorf("history on node %d:\n%v\nwant:\n%v", i+1, late.history, byID)
			}
		}
	})
}

func sameChat(a, b models.ChatMessageView) bool {
	return a.ID == b.ID && a.FromID == b.FromID && a.Username == b.Username && a.Message == b.Message && a.CreatedAt.Equal(b.CreatedAt)
}
