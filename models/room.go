package models

import "time"

// RoomNameMax is the longest room name, in characters.
const RoomNameMax = 64

// RoomKey returns the room a name names: the name in lower case, so that
// names differing only in case are one room. ok is false unless the name
// is 1 to RoomNameMax ASCII letters, digits, '_' and '-': names go into
// URLs (/webrtc/room/<name>) and logs, and ASCII keeps them free of
// look-alike letters and of case rules that differ between languages.
func RoomKey(name string) (key string, ok bool) {
	if len(name) == 0 || len(name) > RoomNameMax {
		return "", false
	}
	b := []byte(name)
	for i, ch := range b {
		switch {
		case 'A' <= ch && ch <= 'Z':
			b[i] = ch + 'a' - 'A'
		case 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9', ch == '_', ch == '-':
		default:
			return "", false
		}
	}
	return string(b), true
}

// RoomRef is the data of Room/Join and Room/Leave, and of 10023.
type RoomRef struct {
	Room string `json:"room"`
}

// RoomMessageIn is the data of Room/Message.
type RoomMessageIn struct {
	Room    string `json:"room"`
	Message string `json:"message"`
}

// RoomJoined is the data of 10020: the members there before you.
type RoomJoined struct {
	Room     string      `json:"room"`
	Capacity int         `json:"capacity"`
	Members  []UserBrief `json:"members"`
}

// RoomOtherJoined is the data of 10021.
type RoomOtherJoined struct {
	Room string    `json:"room"`
	User UserBrief `json:"user"`
}

// RoomFull is the data of 10022.
type RoomFull struct {
	Room     string `json:"room"`
	Capacity int    `json:"capacity"`
}

// RoomBye is the data of 10024: FromID left the room.
type RoomBye struct {
	Room   string `json:"room"`
	FromID uint64 `json:"fromId"`
}

// RoomMessage is the data of 10025.
type RoomMessage struct {
	Room      string    `json:"room"`
	FromID    uint64    `json:"fromId"`
	Username  string    `json:"username"`
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"createdAt"`
}

// RoomView is a room as the admin dashboard shows it.
type RoomView struct {
	Name    string      `json:"name"`
	Members []UserBrief `json:"members"`
}
