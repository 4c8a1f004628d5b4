package controllers

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"callapp/models"
)

// chatHistory is what MessagesHandler needs of the chat table.
type chatHistory interface {
	ChatHistory(ctx context.Context, beforeID uint64, limit int) ([]models.ChatMessage, error)
}

// MessagesHandler serves older pages of the group chat; the latest page
// comes over the websocket (10004) on connect.
type MessagesHandler struct {
	Chat chatHistory
}

// Bounds of a chat history page.
const (
	defaultMessagesLimit = 50
	maxMessagesLimit     = 200
)

// List answers GET /webrtc/api/messages?before=<id>&limit=<n> with up to
// limit messages older than id (all: the latest), oldest first, in the
// 10005 shape. limit defaults to 50; outside 1-200 it is a 400.
func (h *MessagesHandler) List(c *gin.Context) {
	before, err := strconv.ParseUint(c.DefaultQuery("before", "0"), 10, 64)
	if err != nil {
		Abort(c, http.StatusBadRequest, "before must be a message id")
		return
	}
	limit, ok := listLimit(c, defaultMessagesLimit, maxMessagesLimit)
	if !ok {
		return
	}
	rows, err := h.Chat.ChatHistory(c.Request.Context(), before, limit)
	if err != nil {
		AbortInternal(c, err)
		return
	}
	OK(c, http.StatusOK, "ok", models.ChatViews(rows))
}
