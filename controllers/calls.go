package controllers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"callapp/models"
)

// callStore is what the call-history handlers need.
type callStore interface {
	CallsOfUser(ctx context.Context, userID uint64, limit int) ([]models.Call, error)
	RecentCalls(ctx context.Context, limit int) ([]models.Call, error)
	UsernamesByID(ctx context.Context, ids []uint64) (map[uint64]string, error)
	QualitySummary(ctx context.Context, since time.Time) (models.QualitySummary, error)
}

// qualityWindow is the span the dashboard's quality summary covers.
const qualityWindow = 24 * time.Hour

// CallsHandler serves the call history of a user and, for admins, of all.
type CallsHandler struct {
	Calls callStore
}

// HistoryEntry is one call as its participant sees it.
type HistoryEntry struct {
	ID          string           `json:"id"`
	Peer        models.UserBrief `json:"peer"`
	Direction   string           `json:"direction"` // outgoing or incoming
	InvitedAt   time.Time        `json:"invitedAt"`
	Answered    bool             `json:"answered"`
	Ended       bool             `json:"ended"`
	DurationSec int64            `json:"durationSec"`
	EndReason   string           `json:"endReason"`
}

// AdminCallEntry is one call as the admin dashboard lists it, with its
// quality and the times a party came back within the resume grace.
type AdminCallEntry struct {
	models.CallView
	Caller  models.UserBrief   `json:"caller"`
	Callee  models.UserBrief   `json:"callee"`
	Quality models.CallQuality `json:"quality"`
	Resumes int                `json:"resumes"`
}

func listLimit(c *gin.Context, def, most int) (int, bool) {
	n, err := strconv.Atoi(c.DefaultQuery("limit", strconv.Itoa(def)))
	if err != nil || n < 1 || n > most {
		Abort(c, http.StatusBadRequest, "limit must be 1-"+strconv.Itoa(most))
		return 0, false
	}
	return n, true
}

// Mine answers GET /api/calls?limit= with the user's recent calls.
func (h *CallsHandler) Mine(c *gin.Context) {
	limit, ok := listLimit(c, 20, 100)
	if !ok {
		return
	}
	me := CurrentUser(c)
	calls, names, err := h.load(c.Request.Context(), func(ctx context.Context) ([]models.Call, error) {
		return h.Calls.CallsOfUser(ctx, me.ID, limit)
	})
	if err != nil {
		AbortInternal(c, err)
		return
	}
	out := make([]HistoryEntry, len(calls))
	for i, call := range calls {
		v := call.View()
		e := HistoryEntry{ID: v.ID, Direction: "outgoing", InvitedAt: v.InvitedAt, Answered: v.AnsweredAt != nil,
			Ended: v.EndedAt != nil, DurationSec: v.DurationSec, EndReason: v.EndReason}
		peer := call.CalleeID
		if call.CalleeID == me.ID {
			e.Direction, peer = "incoming", call.CallerID
		}
		e.Peer = models.UserBrief{ID: peer, Username: names[peer]}
		out[i] = e
	}
	OK(c, http.StatusOK, "ok", out)
}

// Recent answers GET /api/admin/calls?limit= with everyone's recent calls.
func (h *CallsHandler) Recent(c *gin.Context) {
	limit, ok := listLimit(c, 50, 200)
	if !ok {
		return
	}
	calls, names, err := h.load(c.Request.Context(), func(ctx context.Context) ([]models.Call, error) {
		return h.Calls.RecentCalls(ctx, limit)
	})
	if err != nil {
		AbortInternal(c, err)
		return
	}
	out := make([]AdminCallEntry, len(calls))
	for i, call := range calls {
		out[i] = AdminCallEntry{CallView: call.View(),
			Caller:  models.UserBrief{ID: call.CallerID, Username: names[call.CallerID]},
			Callee:  models.UserBrief{ID: call.CalleeID, Username: names[call.CalleeID]},
			Quality: call.Quality(), Resumes: call.Resumes}
	}
	OK(c, http.StatusOK, "ok", out)
}

// Quality answers GET /api/admin/calls/quality with the quality of the
// calls of the last day.
func (h *CallsHandler) Quality(c *gin.Context) {
	sum, err := h.Calls.QualitySummary(c.Request.Context(), time.Now().Add(-qualityWindow))
	if err != nil {
		AbortInternal(c, err)
		return
	}
	OK(c, http.StatusOK, "ok", sum)
}

// load runs the query and looks up the names of everyone in the result.
func (h *CallsHandler) load(ctx context.Context, query func(context.Context) ([]models.Call, error)) ([]models.Call, map[uint64]string, error) {
	calls, err := query(ctx)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]uint64, 0, 2*len(calls))
	for _, call := range calls {
		ids = append(ids, call.CallerID, call.CalleeID)
	}
	names, err := h.Calls.UsernamesByID(ctx, ids)
	return calls, names, err
}
