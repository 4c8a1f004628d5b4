package signal

import (
	"strconv"

	"callapp/models"
)

// ChatDeleted tells everyone online that an admin removed a chat message
// (10019), so it disappears from every open page. The caller has deleted
// it from the store.
func (h *Hub) ChatDeleted(id uint64) {
	if h.clustered() {
		e := entry{Kind: entryDeleted, ID: strconv.FormatUint(id, 10)}
		if err := h.appendEntry(e); err != nil {
			h.opts.Logger.Warn("cluster: could not tell the other nodes of a deleted chat message", "id", id)
		}
		return
	}
	h.history.changed()
	msg := chatDeletedMessage(id)
	h.do(func() { h.router.Broadcast(msg) })
}

func chatDeletedMessage(id uint64) []byte {
	return encodeMessage(models.CodeChatDeleted, models.MethodSendToAll, "message deleted by an admin", models.ChatDeleted{ID: id})
}
