package dao

import (
	"context"
	"slices"

	"callapp/models"
)

// Bounds on a chat history page.
const (
	DefaultChatLimit = 50
	MaxChatLimit     = 200
)

// SaveChatMessage stores a chat message and sets its ID and, when unset,
// its CreatedAt.
func (d *DAO) SaveChatMessage(ctx context.Context, m *models.ChatMessage) error {
	if !m.CreatedAt.IsZero() {
		m.CreatedAt = dbTime(m.CreatedAt)
	}
	db, done := d.db.conn(ctx)
	defer done()
	return wrap("save chat message", db.Create(m).Error)
}

// ChatHistory returns up to limit messages with an ID below beforeID (0:
// the latest), oldest first. A limit outside 1-MaxChatLimit is bounded.
func (d *DAO) ChatHistory(ctx context.Context, beforeID uint64, limit int) ([]models.ChatMessage, error) {
	q, done := d.db.conn(ctx)
	defer done()
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var msgs []models.ChatMessage
	// Newest first to take the page next to beforeID, then reversed.
	err := q.Order("id DESC").Limit(boundLimit(limit, DefaultChatLimit, MaxChatLimit)).Find(&msgs).Error
	if err != nil {
		return nil, wrap("chat history", err)
	}
	slices.Reverse(msgs)
	return msgs, nil
}

// DeleteChatMessage removes a message (admin moderation); ErrNotFound when
// there is none with that id.
func (d *DAO) DeleteChatMessage(ctx context.Context, id uint64) error {
	db, done := d.db.conn(ctx)
	defer done()
	res := db.Delete(&models.ChatMessage{}, id)
	return affectedOne("delete chat message", res.Error, res.RowsAffected)
}
