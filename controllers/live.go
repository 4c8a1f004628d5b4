package controllers

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"callapp/controllers/signal"
	"callapp/dao"
	"callapp/models"
)

// hub is what the HTTP side needs of the signaling hub.
type hub interface {
	Serve(w http.ResponseWriter, r *http.Request, u models.UserView, s models.SessionRef, addr string) error
	Online() []models.OnlineUser
	Lives() []models.LiveAdmin
	Rooms() []models.RoomView
	Stats() signal.Stats
	ChatDeleted(id uint64)
}

// WebSocket upgrades GET /webrtc/wss for a logged-in user from an allowed
// origin: 401, 403, 429 for an address with too many websockets that have
// not sent User/Connect yet, and 503 while the server stops or (several
// nodes) cannot reach Redis, are answered before any upgrade. The
// socket lives no longer than the session it was opened with.
func WebSocket(h hub, origin *OriginPolicy) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := CurrentUser(c)
		if u == nil {
			Abort(c, http.StatusUnauthorized, "login required")
			return
		}
		if !origin.Allowed(c.Request) {
			Abort(c, http.StatusForbidden, "cross-site websocket refused")
			return
		}
		switch err := h.Serve(c.Writer, c.Request, u.View(), CurrentSession(c), c.ClientIP()); {
		case errors.Is(err, signal.ErrTooManyPending):
			Abort(c, http.StatusTooManyRequests, "too many websockets from your address waiting to connect")
		case errors.Is(err, signal.ErrClosed):
			Abort(c, http.StatusServiceUnavailable, "server shutting down")
		case errors.Is(err, signal.ErrUnavailable):
			Abort(c, http.StatusServiceUnavailable, "this node cannot reach the others; try again")
		case err != nil:
			AbortInternal(c, err)
		}
	}
}

// Live is the admin dashboard's view of the server now.
type Live struct {
	Online     []models.OnlineUser `json:"online"`
	Rooms      []models.RoomView   `json:"rooms"`
	Broadcasts []models.LiveAdmin  `json:"broadcasts"` // live broadcasts with their viewers
	Stats      signal.Stats        `json:"stats"`
}

// chatDeleter removes chat messages.
type chatDeleter interface {
	DeleteChatMessage(ctx context.Context, id uint64) error
}

// LiveHandler serves the admin's live figures and chat moderation.
type LiveHandler struct {
	Hub  hub
	Chat chatDeleter
}

// Get answers GET /api/admin/live.
func (h *LiveHandler) Get(c *gin.Context) {
	OK(c, http.StatusOK, "ok", Live{Online: h.Hub.Online(), Rooms: h.Hub.Rooms(), Broadcasts: h.Hub.Lives(), Stats: h.Hub.Stats()})
}

// DeleteMessage answers DELETE /api/admin/messages/:id: the message is
// removed and disappears for everyone online.
func (h *LiveHandler) DeleteMessage(c *gin.Context) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		Abort(c, http.StatusNotFound, "no such message")
		return
	}
	if err := h.Chat.DeleteChatMessage(c.Request.Context(), id); err != nil {
		if errors.Is(err, dao.ErrNotFound) {
			Abort(c, http.StatusNotFound, "no such message")
			return
		}
		AbortInternal(c, err)
		return
	}
	h.Hub.ChatDeleted(id)
	OK(c, http.StatusOK, "deleted", nil)
}
