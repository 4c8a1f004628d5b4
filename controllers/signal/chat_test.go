package signal_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
)

func TestChatStoredBroadcastAndHistory(t *testing.T) {
	daotest.ForEachDriver(t, func(t *testing.T, db *dao.DAO) {
		opts := fast()
		opts.ChatHistory = 2
		h := startWith(t, opts, db)
		a, b := h.join(1, "alice"), h.join(2, "bob")
		a.expect(models.CodeUserOnline)

		a.chat("  hello <b>bob</b> & all \n")
		for _, p := range []*peer{a, b} { // the sender gets it too
			env := p.expect(models.CodeChat)
			got := decode[models.ChatMessageView](t, env)
			if got.ID == 0 || got.FromID != 1 || got.Username != "alice" || got.Message != "hello <b>bob</b> & all" || env.Type != models.TypeText {
				t.Errorf("user %d got %+v type %d", p.id, got, env.Type)
			}
			if time.Since(got.CreatedAt) > time.Minute {
				t.Errorf("createdAt = %v", got.CreatedAt)
			}
		}
		a.chat(" \t\u3000\n ")
		a.expectError(models.MethodSendToAll, models.ReasonEmpty)
		a.chat(strings.Repeat("é", models.ChatMaxRunes+1))
		a.expectError(models.MethodSendToAll, models.ReasonTooLong)
		longest := strings.Repeat("😀", models.ChatMaxRunes)
		b.chat(longest)
		a.expect(models.CodeChat)
		b.expect(models.CodeChat)
		b.chat("third")
		b.expect(models.CodeChat)

		c := h.join(3, "carol")
		if len(c.history) != 2 || c.history[0].Message != longest || c.history[1].Message != "third" || c.history[0].ID >= c.history[1].ID {
			t.Errorf("history = %d messages: %.40v", len(c.history), c.history)
		}
		rows, err := db.ChatHistory(context.Background(), 0, 10)
		if err != nil || len(rows) != 3 || rows[0].Message != "hello <b>bob</b> & all" {
			t.Errorf("stored: %d rows, %v", len(rows), err)
		}
		if s := h.hub.Stats(); s.ChatMessages != 3 {
			t.Errorf("stats chat = %d", s.ChatMessages)
		}
	})
}

func TestChatRateIsPerUserAcrossReconnects(t *testing.T) {
	t.Parallel()
	opts := fast()
	opts.ChatRate, opts.ChatBurst = 0.01, 2
	h := start(t, opts)
	a := h.join(1, "alice")
	a.chat("one")
	a.expect(models.CodeChat)
	a.chat("two")
	a.expect(models.CodeChat)
	a.chat("three")
	a.expectError(models.MethodSendToAll, models.ReasonRateLimited)

	a2 := h.join(1, "alice")
	a2.chat("four")
	a2.expectError(models.MethodSendToAll, models.ReasonRateLimited)
	b := h.join(2, "bob") // another user has a bucket of his own
	b.chat("hi")
	b.expect(models.CodeChat)
	if len(b.history) != 2 {
		t.Errorf("history = %+v", b.history)
	}
}

func TestChatDeletedReachesEveryone(t *testing.T) {
	t.Parallel()
	h := start(t, fast())
	a, b := h.join(1, "alice"), h.join(2, "bob")
	a.expect(models.CodeUserOnline)
	h.hub.ChatDeleted(42)
	for _, p := range []*peer{a, b} {
		if got := decode[models.ChatDeleted](t, p.expect(models.CodeChatDeleted)); got.ID != 42 {
			t.Errorf("user %d: 10019 = %+v", p.id, got)
		}
	}
	h.hub.Close()
	h.hub.ChatDeleted(43) // after Close: nothing to tell, and no panic
}

// countingStore counts the history queries the hub makes.
type countingStore struct {
	*dao.DAO
	history atomic.Int64
}

func (s *countingStore) ChatHistory(ctx context.Context, beforeID uint64, limit int) ([]models.ChatMessage, error) {
	s.history.Add(1)
	return s.DAO.ChatHistory(ctx, beforeID, limit)
}

func TestHistoryIsReadOnceUntilTheChatChanges(t *testing.T) {
	t.Parallel()
	db := daotest.Open(t, dao.DriverSQLite)
	store := &countingStore{DAO: db}
	h := startStore(t, fast(), store, db)
	a := h.join(1, "alice")
	a.chat("first")
	a.expect(models.CodeChat)
	a.chat("second")
	second := decode[models.ChatMessageView](t, a.expect(models.CodeChat))

	before := store.history.Load()
	for id := uint64(2); id <= 6; id++ {
		p := h.join(id, "user")
		if len(p.history) != 2 || p.history[1].Message != "second" {
			t.Fatalf("user %d history = %+v", id, p.history)
		}
	}
	if n := store.history.Load() - before; n > 1 {
		t.Errorf("5 connects read the history %d times, want at most once", n)
	}

	// An admin deletes a message: the next newcomer's history lacks it.
	if err := db.DeleteChatMessage(context.Background(), second.ID); err != nil {
		t.Fatal(err)
	}
	h.hub.ChatDeleted(second.ID)
	a.expect(models.CodeChatDeleted)
	if p := h.join(7, "gina"); len(p.history) != 1 || p.history[0].Message != "first" {
		t.Errorf("after the delete: history = %+v", p.history)
	}
	// A new message: the next newcomer has it.
	a.chat("third")
	a.expect(models.CodeChat)
	if p := h.join(8, "hank"); len(p.history) != 2 || p.history[1].Message != "third" {
		t.Errorf("after a new message: history = %+v", p.history)
	}
}

// TestChatRefusesControlsAndBlanks: what would corrupt a terminal or log
// reading the chat, or post an empty-looking message, is refused with
// 10001 and never stored or broadcast; newline and tab are kept.
func TestChatRefusesControlsAndBlanks(t *testing.T) {
	daotest.ForEachDriver(t, func(t *testing.T, db *dao.DAO) {
		h := startWith(t, fast(), db)
		a, b := h.join(1, "alice"), h.join(2, "bob")
		a.expect(models.CodeUserOnline)
		refused := map[string]string{
			"nul\x00byte": models.ReasonControlChar, "\x00": models.ReasonControlChar,
			"\x1b[2J": models.ReasonControlChar, "over\rwrite": models.ReasonControlChar,
			"   \n": models.ReasonEmpty, "\u200b\u3164\u2800": models.ReasonEmpty,
		}
		for text, reason := range refused {
			a.chat(text)
			a.expectError(models.MethodSendToAll, reason)
		}
		a.chat("two\nlines\tok")
		if got := decode[models.ChatMessageView](t, b.expect(models.CodeChat)); got.Message != "two\nlines\tok" {
			t.Errorf("bob got %q", got.Message)
		}
		rows, err := db.ChatHistory(context.Background(), 0, 10)
		if err != nil || len(rows) != 1 {
			t.Errorf("stored %d messages (%v), want only the good one", len(rows), err)
		}
	})
}
