package signal

import "callapp/models"

// ChatDeleted tells everyone online that an admin removed a chat message
// (10019), so it disappears from every open page.
func (h *Hub) ChatDeleted(id uint64) {
	msg := encodeMessage(models.CodeChatDeleted, models.MethodSendToAll, "message deleted by an admin", models.ChatDeleted{ID: id})
	h.do(func() { h.router.Broadcast(msg) })
}
