package ice

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"callapp/config"
	"callapp/controllers"
	"callapp/models"
)

// servers is what the handlers need of a Provider.
type servers interface {
	ICEServers(userID uint64) []models.ICEServer
	TTL() time.Duration
	URLs() []string
}

// statser is what the admin view needs of the embedded Server.
type statser interface {
	Stats() Stats
}

// Handler serves the ICE routes.
type Handler struct {
	Servers servers
	Relay   statser // the embedded server; nil or a nil *Server when there is none
	Mode    string  // see Mode; shown to admins
}

// Config is the answer of GET /webrtc/api/ice-servers.
type Config struct {
	ICEServers []models.ICEServer `json:"iceServers"`
	// TTLSec is how long the credentials stay valid; the page asks again
	// before then (a long call renews them with an ICE restart). 0: no
	// credentials, nothing to renew.
	TTLSec int `json:"ttlSec"`
}

// Get answers the logged-in user's RTCConfiguration.iceServers with a
// fresh credential. RequireUser has already refused anonymous requests.
func (h *Handler) Get(c *gin.Context) {
	u := controllers.CurrentUser(c)
	// A credential is a secret of its user: no cache may keep it.
	c.Header("Cache-Control", "no-store")
	controllers.OK(c, http.StatusOK, "ok", Config{
		ICEServers: h.Servers.ICEServers(u.ID), TTLSec: int(h.Servers.TTL() / time.Second),
	})
}

// RelayStatus is the answer of GET /webrtc/api/admin/relay.
type RelayStatus struct {
	Mode  string   `json:"mode"`
	URLs  []string `json:"urls"`
	Stats Stats    `json:"stats"` // zero unless the server is embedded
}

// Status shows an admin how ICE is set up and how busy the relay is, for
// the dashboard's relay self-test.
func (h *Handler) Status(c *gin.Context) {
	st := RelayStatus{Mode: h.Mode, URLs: h.Servers.URLs()}
	if h.Relay != nil {
		st.Stats = h.Relay.Stats()
	}
	controllers.OK(c, http.StatusOK, "ok", st)
}

// Mode names the ICE setup of a configuration, as admins see it.
func Mode(cfg *config.Config) string {
	switch {
	case len(cfg.TURNURLs) > 0:
		return "external"
	case cfg.TURNEnabled:
		return "embedded"
	case len(cfg.STUNURLs) > 0:
		return "stun"
	}
	return "off"
}
