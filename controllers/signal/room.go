package signal

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"callapp/models"
)

// room is a room's server-side state: its members in the order they
// joined. A room exists while it has members. Only the loop touches it.
type room struct {
	name    string // the key: models.RoomKey of the name
	members []models.UserBrief
}

// remove takes user id out of the members.
func (rm *room) remove(id uint64) {
	rm.members = slices.DeleteFunc(rm.members, func(u models.UserBrief) bool { return u.ID == id })
}

var (
	errBadRoom       = refuse(models.ReasonBadRoom, "a room name is 1 to 64 letters (a-z), digits, _ and -")
	errBadRoomData   = refuse(models.ReasonBadJSON, `data must be {"room": "...", "message": "..."}`)
	errAlreadyInRoom = refuse(models.ReasonAlreadyInRoom, "you are already in a room")
	errNotInRoom     = refuse(models.ReasonNotInRoom, "you are not in that room")
)

// roomData decodes the data of a room method and checks its room name,
// returning the room's key.
func roomData(data json.RawMessage, into *models.RoomMessageIn) (string, error) {
	if err := json.Unmarshal(data, into); err != nil {
		return "", errBadRoomData
	}
	key, ok := models.RoomKey(into.Room)
	if !ok {
		return "", errBadRoom
	}
	return key, nil
}

// joinRoom handles Room/Join: 10020 to the newcomer, 10021 to each member
// already there, or 10022 when the room is full. Someone in a call (even
// ringing) or in a room already cannot join.
func (h *Hub) joinRoom(c *client, r *request) error {
	var in models.RoomMessageIn
	name, err := roomData(r.Data, &in)
	me := models.UserBrief{ID: c.user.ID, Username: c.user.Username}
	switch {
	case err != nil:
		return err
	}
	if err := h.engaged(me.ID); err != nil {
		return err // one thing at a time: a call, a room, a broadcast or watching one
	}
	rm := h.rooms[name]
	if rm == nil {
		rm = &room{name: name}
	}
	if len(rm.members) >= h.opts.RoomCapacity {
		c.enqueue(outgoing{data: encode(models.CodeRoomFull, r.Method, models.RoomFull{Room: name, Capacity: h.opts.RoomCapacity})})
		return nil
	}
	h.enterRoom(rm, me)
	return nil
}

// enterRoom makes me a member of rm and tells everyone in it.
func (h *Hub) enterRoom(rm *room, me models.UserBrief) {
	h.flushArrivalsOf(me.ID) // the members hear of the newcomer's arrival first
	h.touch(me.ID)           // in_room to others from the next tick
	joined := models.RoomJoined{Room: rm.name, Capacity: h.opts.RoomCapacity, Members: slices.Clone(rm.members)}
	if joined.Members == nil {
		joined.Members = []models.UserBrief{} // [] rather than null for the browser
	}
	h.router.SendToUser(me.ID, encode(models.CodeRoomJoined, models.MethodRoomJoin, joined))
	h.sendRoom(rm, encode(models.CodeRoomOther, models.MethodRoomJoin, models.RoomOtherJoined{Room: rm.name, User: me}))
	rm.members = append(rm.members, me)
	h.rooms[rm.name], h.roomOf[me.ID] = rm, rm
	h.stats.rooms.Store(int64(len(h.rooms)))
	h.stats.roomMembers.Add(1)
}

// myRoom decodes r's data into in and returns the room it names, which
// must be c's: the check Room/Leave and Room/Message share.
func (h *Hub) myRoom(c *client, r *request, in *models.RoomMessageIn) (*room, error) {
	name, err := roomData(r.Data, in)
	if err != nil {
		return nil, err
	}
	rm := h.roomOf[c.user.ID]
	if rm == nil || rm.name != name {
		return nil, errNotInRoom
	}
	return rm, nil
}

// leaveRoom handles Room/Leave: 10023 to you, 10024 to the members left.
func (h *Hub) leaveRoom(c *client, r *request) error {
	var in models.RoomMessageIn
	rm, err := h.myRoom(c, r, &in)
	if err != nil {
		return err
	}
	h.quitRoom(rm, c.user.ID)
	c.enqueue(outgoing{data: encode(models.CodeRoomLeft, r.Method, models.RoomRef{Room: rm.name})})
	return nil
}

// leaveRoomOf takes the user out of their room, if any, as for a
// disconnect: the others get 10024, the user nothing.
func (h *Hub) leaveRoomOf(id uint64) {
	if rm := h.roomOf[id]; rm != nil {
		h.quitRoom(rm, id)
	}
}

// quitRoom takes id out of rm and tells the members left (10024); an
// empty room is forgotten.
func (h *Hub) quitRoom(rm *room, id uint64) {
	h.touch(id) // online again to others from the next tick
	rm.remove(id)
	delete(h.roomOf, id)
	if len(rm.members) == 0 {
		delete(h.rooms, rm.name)
	}
	h.stats.rooms.Store(int64(len(h.rooms)))
	h.stats.roomMembers.Add(-1)
	h.sendRoom(rm, encode(models.CodeRoomBye, models.MethodRoomLeave, models.RoomBye{Room: rm.name, FromID: id}))
}

// roomMessage handles Room/Message: checked and rate-limited as group
// chat is, then 10025 to every member, sender included. Nothing is stored.
func (h *Hub) roomMessage(c *client, r *request) error {
	var in models.RoomMessageIn
	rm, err := h.myRoom(c, r, &in)
	if err != nil {
		return err
	}
	text, err := h.chatText(c, in.Message)
	if err != nil {
		return err
	}
	m := models.RoomMessage{Room: rm.name, FromID: c.user.ID, Username: c.user.Username, Message: text, CreatedAt: time.Now().UTC()}
	h.sendRoom(rm, encodeText(models.CodeRoomMessage, r.Method, m))
	return nil
}

// sendRoom sends msg to every member of rm.
func (h *Hub) sendRoom(rm *room, msg []byte) {
	for _, u := range rm.members {
		h.router.SendToUser(u.ID, msg)
	}
}

// shareRoom reports whether users a and b, two of them, are in one room.
func (h *Hub) shareRoom(a, b uint64) bool {
	rm := h.roomOf[a]
	return rm != nil && a != b && h.roomOf[b] == rm
}

// flushArrivalsOf flushes the tick if it holds the arrival of one of ids,
// so that a room event never names a user its receiver has not been told
// is online. Unlike flushPresenceOf it lets a mere status change wait.
func (h *Hub) flushArrivalsOf(ids ...uint64) {
	for _, id := range ids {
		if was, ok := h.presence.pending[id]; ok && !was.online {
			h.flushPresence()
			return
		}
	}
}

// Rooms returns the rooms and their members, by name, for the admin.
func (h *Hub) Rooms() []models.RoomView {
	list := []models.RoomView{} // [] rather than null once closed
	h.do(func() {
		for _, rm := range h.rooms {
			list = append(list, models.RoomView{Name: rm.name, Members: slices.Clone(rm.members)})
		}
	})
	slices.SortFunc(list, func(a, b models.RoomView) int { return cmp.Compare(a.Name, b.Name) })
	return list
}
