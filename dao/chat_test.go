package dao_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
)

func TestChatSaveKeepsTextAndTime(t *testing.T) {
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		ctx := context.Background()
		long := strings.Repeat("😀", models.ChatMaxRunes) // 8000 bytes of 4-byte runes
		m := &models.ChatMessage{FromID: 7, Username: "jörg", Message: long}
		failOn(t, d.SaveChatMessage(ctx, m))
		if m.ID == 0 || m.CreatedAt.IsZero() {
			t.Fatalf("save did not set id/time: %+v", m)
		}
		got, err := d.ChatHistory(ctx, 0, 10)
		failOn(t, err)
		if len(got) != 1 || got[0].Message != long || got[0].Username != "jörg" || got[0].FromID != 7 {
			t.Fatalf("history = %+v", got)
		}
		if !got[0].CreatedAt.Equal(m.CreatedAt) {
			t.Errorf("createdAt %v read back as %v", m.CreatedAt, got[0].CreatedAt)
		}
		at := time.Date(2025, 1, 2, 3, 4, 5, 999999999, time.UTC)
		m2 := &models.ChatMessage{FromID: 7, Username: "jörg", Message: "x", CreatedAt: at}
		failOn(t, d.SaveChatMessage(ctx, m2))
		if !m2.CreatedAt.Equal(at.Truncate(time.Millisecond)) {
			t.Errorf("given createdAt stored as %v", m2.CreatedAt)
		}
	})
}

func TestChatHistoryPages(t *testing.T) {
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		ctx := context.Background()
		var saved []uint64
		for i := range 7 {
			m := &models.ChatMessage{FromID: 1, Username: "a", Message: fmt.Sprint("m", i)}
			failOn(t, d.SaveChatMessage(ctx, m))
			saved = append(saved, m.ID)
		}
		latest, err := d.ChatHistory(ctx, 0, 3)
		failOn(t, err)
		if got := chatTexts(latest); got != "m4 m5 m6" {
			t.Errorf("latest page = %s", got)
		}
		older, err := d.ChatHistory(ctx, latest[0].ID, 3)
		failOn(t, err)
		if got := chatTexts(older); got != "m1 m2 m3" {
			t.Errorf("older page = %s", got)
		}
		oldest, err := d.ChatHistory(ctx, older[0].ID, 3)
		failOn(t, err)
		if got := chatTexts(oldest); got != "m0" {
			t.Errorf("oldest page = %s", got)
		}
		none, err := d.ChatHistory(ctx, saved[0], 3)
		failOn(t, err)
		if len(none) != 0 {
			t.Errorf("before the first: %d rows", len(none))
		}
		all, err := d.ChatHistory(ctx, 0, 0) // 0: the default page size
		failOn(t, err)
		if len(all) != 7 {
			t.Errorf("default limit gave %d rows", len(all))
		}
	})
}

func chatTexts(msgs []models.ChatMessage) string {
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		parts[i] = m.Message
	}
	return strings.Join(parts, " ")
}
