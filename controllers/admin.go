package controllers

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"callapp/dao"
	"callapp/models"
)

// userAdmin is what the admin handlers need of the user table.
type userAdmin interface {
	ListUsers(ctx context.Context, query string, offset, limit int) (*dao.UserPage, error)
	SetDisabled(ctx context.Context, id uint64, disabled bool) error
	SetRole(ctx context.Context, id uint64, role string) error
}

// kicker ends a user's live connections (the signaling hub).
type kicker interface {
	Kick(userID uint64, reason string)
}

// relayAccess refuses or allows a user's TURN relays (the embedded TURN
// server), closing the open ones of a disabled user.
type relayAccess interface {
	SetUserDisabled(userID uint64, disabled bool)
}

// AdminHandler serves the admin dashboard's user APIs.
type AdminHandler struct {
	Users userAdmin
	Live  kicker
	Relay relayAccess // nil: no embedded TURN server
}

// Paging bounds for list endpoints.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// ListUsers answers GET /api/admin/users?q=&page=&size= with a page of users.
func (h *AdminHandler) ListUsers(c *gin.Context) {
	page, err1 := strconv.Atoi(c.DefaultQuery("page", "1"))
	size, err2 := strconv.Atoi(c.DefaultQuery("size", strconv.Itoa(defaultPageSize)))
	if err1 != nil || err2 != nil || page < 1 || size < 1 || size > maxPageSize || page > 1_000_000 {
		Abort(c, http.StatusBadRequest, "page must be 1 or more and size 1-"+strconv.Itoa(maxPageSize))
		return
	}
	result, err := h.Users.ListUsers(c.Request.Context(), c.Query("q"), (page-1)*size, size)
	if err != nil {
		AbortInternal(c, err)
		return
	}
	OK(c, http.StatusOK, "ok", result)
}

// UserUpdate is the body of PATCH /api/admin/users/:id; absent fields stay.
type UserUpdate struct {
	Disabled *bool   `json:"disabled" form:"disabled"`
	Role     *string `json:"role" form:"role"`
}

// UpdateUser disables, enables or changes the role of a user. Disabling
// ends the user's sessions, live connection and TURN relays at once.
func (h *AdminHandler) UpdateUser(c *gin.Context) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		AbortReason(c, http.StatusNotFound, ReasonNoSuchUser, "no such user")
		return
	}
	var req UserUpdate
	if !Bind(c, &req) {
		return
	}
	if req.Role != nil && *req.Role != models.RoleAdmin && *req.Role != models.RoleUser {
		AbortFields(c, http.StatusBadRequest, models.FieldErrors{{Field: "role", Reason: ReasonBadRole, Message: "must be user or admin"}})
		return
	}
	if id == CurrentUser(c).ID && (req.Disabled != nil && *req.Disabled || req.Role != nil && *req.Role != models.RoleAdmin) {
		AbortReason(c, http.StatusBadRequest, ReasonChangeSelf, "you cannot disable or demote yourself")
		return
	}
	if err := h.apply(c.Request.Context(), id, req); err != nil {
		if errors.Is(err, dao.ErrNotFound) {
			AbortReason(c, http.StatusNotFound, ReasonNoSuchUser, "no such user")
			return
		}
		AbortInternal(c, err)
		return
	}
	OK(c, http.StatusOK, "updated", nil)
}

func (h *AdminHandler) apply(ctx context.Context, id uint64, req UserUpdate) error {
	if req.Role != nil {
		if err := h.Users.SetRole(ctx, id, *req.Role); err != nil {
			return err
		}
	}
	if req.Disabled != nil {
		if err := h.Users.SetDisabled(ctx, id, *req.Disabled); err != nil {
			return err
		}
		if h.Relay != nil {
			h.Relay.SetUserDisabled(id, *req.Disabled)
		}
		if *req.Disabled && h.Live != nil {
			h.Live.Kick(id, "account disabled")
		}
	}
	return nil
}
