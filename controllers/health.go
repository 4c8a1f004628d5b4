package controllers

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"callapp/controllers/signal"
)

// pinger is the database check /healthz runs.
type pinger interface {
	Ping(ctx context.Context) error
}

// clusterHealth is what /healthz asks of the cluster (signal.Cluster).
type clusterHealth interface {
	Health() signal.Health
}

// healthWait bounds the database check of /healthz below DB_TIMEOUT when
// that is longer: a probe must get its 503 before it gives up itself.
const healthWait = 1500 * time.Millisecond

// HealthView is the data of /healthz on a node of several: whether it
// reaches their Redis. One node answers no data.
type HealthView struct {
	Redis RedisHealth `json:"redis"`
}

// RedisHealth is a node's view of the Redis it shares with the others.
type RedisHealth struct {
	Up     bool      `json:"up"`
	Since  time.Time `json:"since"`            // of the current state
	Reason string    `json:"reason,omitempty"` // why it is down
}

// Health answers /healthz: 200 when the database answers, and on a node
// of several (cl not nil) when it reaches Redis too; 503 otherwise, the
// database checked first.
func Health(db pinger, cl clusterHealth) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), healthWait)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			_ = c.Error(&Error{Status: http.StatusServiceUnavailable, Message: "database unavailable", Err: err})
			c.Abort()
			return
		}
		if cl == nil {
			OK(c, http.StatusOK, "ok", nil)
			return
		}
		h := redisHealth(cl.Health())
		if !h.Up {
			// Anyone may read /healthz: the cause of a reason (what Redis
			// answered, its address among it) is for the admin page and
			// the log, not for here.
			h.Reason, _, _ = strings.Cut(h.Reason, ": ")
			msg := h.Reason
			if msg != redisDown {
				msg = redisDown + ": " + msg
			}
			// The error renderer has no data: the answer goes out here.
			c.JSON(http.StatusServiceUnavailable, Response{Code: 1, Message: msg, Reason: ReasonUnavailable, Data: HealthView{Redis: h}})
			return
		}
		OK(c, http.StatusOK, "ok", HealthView{Redis: h})
	}
}

// redisDown begins /healthz's message while Redis is down.
const redisDown = "redis unavailable"

func redisHealth(h signal.Health) RedisHealth {
	r := RedisHealth{Up: h.Up, Since: h.Since, Reason: h.Reason}
	if !r.Up && r.Reason == "" {
		r.Reason = "not reachable"
	}
	return r
}
