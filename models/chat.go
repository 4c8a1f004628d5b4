package models

import (
	"strings"
	"time"
	"unicode/utf8"
)

// ChatMessage is one group chat message. Username is copied at send time
// so history reads need no join and show the name as it was.
type ChatMessage struct {
	ID        uint64    `gorm:"primaryKey"`
	FromID    uint64    `gorm:"not null;index"`
	Username  string    `gorm:"size:32;not null"`
	Message   string    `gorm:"type:text;not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// View returns the message in the shape of a 10005 envelope's data.
func (m *ChatMessage) View() ChatMessageView {
	return ChatMessageView{ID: m.ID, FromID: m.FromID, Username: m.Username, Message: m.Message, CreatedAt: m.CreatedAt}
}

// ChatMessageView is the JSON shape of a chat message.
type ChatMessageView struct {
	ID        uint64    `json:"id"`
	FromID    uint64    `json:"fromId"`
	Username  string    `json:"username"`
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"createdAt"`
}

// ChatViews converts rows to views, keeping their order.
func ChatViews(rows []ChatMessage) []ChatMessageView {
	views := make([]ChatMessageView, len(rows))
	for i := range rows {
		views[i] = rows[i].View()
	}
	return views
}

// CleanChat trims a chat message and checks its length in code points. It
// returns the text to store, or ReasonEmpty or ReasonTooLong.
func CleanChat(text string) (string, string) {
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return "", ReasonEmpty
	case n > ChatMaxRunes:
		return "", ReasonTooLong
	}
	return text, ""
}
