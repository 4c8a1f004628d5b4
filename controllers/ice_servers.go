package controllers

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"callapp/controllers/ice"
	"callapp/models"
)

// iceServers is what the ICE handlers need of the servers handed out
// (ice.Provider).
type iceServers interface {
	ICEServers(userID uint64) []models.ICEServer
	TTL() time.Duration
	URLs() []string
}

// relayStats is what the admin view needs of the embedded TURN server.
type relayStats interface {
	Stats() ice.Stats
}

// ICEHandler serves the ICE routes: a user's STUN/TURN servers and, for
// admins, the relay's state.
type ICEHandler struct {
	Servers iceServers
	Relay   relayStats // the embedded server; nil or a nil *ice.Server when there is none
	Mode    string     // ice.Options.Mode; shown to admins
}

// ICEConfig is the answer of GET /webrtc/api/ice-servers.
type ICEConfig struct {
	ICEServers []models.ICEServer `json:"iceServers"`
	// TTLSec is how long the credentials stay valid; the page asks again
	// before then (a long call renews them with an ICE restart). 0: no
	// credentials, nothing to renew.
	TTLSec int `json:"ttlSec"`
}

// Get answers the logged-in user's RTCConfiguration.iceServers with a
// fresh credential. RequireUser has already refused anonymous requests.
func (h *ICEHandler) Get(c *gin.Context) {
	u := CurrentUser(c)
	// A credential is a secret of its user: no cache may keep it.
	c.Header("Cache-Control", "no-store")
	OK(c, http.StatusOK, "ok", ICEConfig{
		ICEServers: h.Servers.ICEServers(u.ID), TTLSec: int(h.Servers.TTL() / time.Second),
	})
}

// RelayStatus is the answer of GET /webrtc/api/admin/relay.
type RelayStatus struct {
	Mode  string    `json:"mode"`
	URLs  []string  `json:"urls"`
	Stats ice.Stats `json:"stats"` // zero unless the server is embedded
}

// Status shows an admin how ICE is set up and how busy the relay is, for
// the dashboard's relay self-test.
func (h *ICEHandler) Status(c *gin.Context) {
	st := RelayStatus{Mode: h.Mode, URLs: h.Servers.URLs()}
	if h.Relay != nil {
		st.Stats = h.Relay.Stats()
	}
	OK(c, http.StatusOK, "ok", st)
}
