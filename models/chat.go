package models

import (
	"strings"
	"time"
	"unicode"
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

// CleanChat trims a chat message and checks it. It returns the text to
// store, or ReasonControlChar for a control character other than newline
// and tab (NUL, escape sequences, carriage returns), ReasonEmpty for a
// message with nothing visible, or ReasonTooLong past ChatMaxRunes code
// points.
func CleanChat(text string) (string, string) {
	if strings.IndexFunc(text, forbiddenInChat) >= 0 {
		return "", ReasonControlChar
	}
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0 || strings.IndexFunc(text, visible) < 0:
		return "", ReasonEmpty
	case n > ChatMaxRunes:
		return "", ReasonTooLong
	}
	return text, ""
}

func forbiddenInChat(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\t'
}

// visible reports whether r shows as something: not a space, nor one of
// the characters that render as nothing (zero-width and format
// characters, variation selectors, fillers, the blank braille pattern)
// with which a "blank" message could get past a plain whitespace check.
func visible(r rune) bool {
	return !unicode.IsSpace(r) && !unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point) &&
		r != brailleBlank
}

// brailleBlank is the braille pattern with no dots, drawn as a blank.
const brailleBlank = '\u2800'
