package signal

import "callapp/models"

// ChatDeleted tells everyone online that an admin removed a chat message
// (10019), so it disappears from every open page. The caller has deleted
// it from the store.
func (h *Hub) ChatDeleted(id uint64) {
	h.history.changed()
	msg := encodeMessage(models.CodeChatDeleted, models.MethodSendToAll, "message deleted by an admin", models.ChatDeleted{ID: id})
	h.do(func() { h.router.Broadcast(msg) })
}
