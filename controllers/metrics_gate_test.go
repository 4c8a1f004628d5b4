package controllers

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/gin-gonic/gin"

	"callapp/models"
)

func TestMetricsGate(t *testing.T) {
	gin.SetMode(gin.TestMode)
	local := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	admin := &models.User{ID: 1, Username: "alice", Role: models.RoleAdmin}
	user := &models.User{ID: 2, Username: "bob", Role: models.RoleUser}
	cases := []struct {
		name   string
		on     bool
		allow  []netip.Prefix
		remote string
		who    *models.User
		want   int
	}{
		{"anonymous", true, nil, "198.51.100.7:5000", nil, http.StatusUnauthorized},
		{"a user", true, nil, "198.51.100.7:5000", user, http.StatusForbidden},
		{"an admin", true, nil, "198.51.100.7:5000", admin, http.StatusOK},
		{"anonymous from an allowed address", true, local, "127.0.0.1:5000", nil, http.StatusOK},
		{"anonymous from allowed IPv6", true, local, "[::1]:5000", nil, http.StatusOK},
		{"anonymous from elsewhere", true, local, "198.51.100.7:5000", nil, http.StatusUnauthorized},
		{"a user from elsewhere", true, local, "198.51.100.7:5000", user, http.StatusForbidden},
		{"off, even for an admin", false, local, "127.0.0.1:5000", admin, http.StatusNotFound},
	}
	for _, tc := range cases {
		r := handlerRouter()
		r.GET("/metrics", func(c *gin.Context) {
			if tc.who != nil {
				c.Set(userKey, tc.who)
			}
		}, MetricsGate(tc.on, tc.allow), func(c *gin.Context) { c.String(http.StatusOK, "metrics") })
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = tc.remote
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, w.Code, tc.want)
		}
	}
}
