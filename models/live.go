package models

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// LiveTitleMaxRunes is the longest broadcast title, in Unicode code points.
const LiveTitleMaxRunes = 100

// CleanLiveTitle trims a broadcast title and checks it as chat text is
// checked, stricter: a title is one line, so no control character at all
// (newline and tab included). It returns the title, or "" and
// ReasonBadTitle.
func CleanLiveTitle(title string) (string, string) {
	if strings.IndexFunc(title, unicode.IsControl) >= 0 {
		return "", ReasonBadTitle
	}
	title = strings.TrimSpace(title)
	if strings.IndexFunc(title, visible) < 0 || utf8.RuneCountInString(title) > LiveTitleMaxRunes {
		return "", ReasonBadTitle
	}
	return title, ""
}

// LiveStart is the data of Live/Start.
type LiveStart struct {
	Title string `json:"title"`
}

// LiveRef is the data of Live/Watch and Live/Leave, and of 10031.
type LiveRef struct {
	LiveID string `json:"liveId"`
}

// LiveInfo is a broadcast as everyone online sees it: the data of 10030
// and the entries of 10035.
type LiveInfo struct {
	LiveID  string    `json:"liveId"`
	FromID  uint64    `json:"fromId"`
	User    UserBrief `json:"user"`
	Title   string    `json:"title"`
	Viewers int       `json:"viewers"`
}

// LiveViewer is the data of 10032: a viewer the broadcaster is to offer to.
type LiveViewer struct {
	LiveID string    `json:"liveId"`
	FromID uint64    `json:"fromId"`
	User   UserBrief `json:"user"`
}

// LiveViewerLeft is the data of 10033.
type LiveViewerLeft struct {
	LiveID string `json:"liveId"`
	FromID uint64 `json:"fromId"`
}

// LiveFull is the data of 10034.
type LiveFull struct {
	LiveID     string `json:"liveId"`
	MaxViewers int    `json:"maxViewers"`
}

// LiveAdmin is a broadcast as the admin dashboard shows it, viewers named.
type LiveAdmin struct {
	LiveID      string      `json:"liveId"`
	Broadcaster UserBrief   `json:"broadcaster"`
	Title       string      `json:"title"`
	Viewers     []UserBrief `json:"viewers"`
}
