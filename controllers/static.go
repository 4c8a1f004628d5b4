package controllers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"callapp/controllers/assets"
)

// Static serves the files of files at the route's *file parameter, and
// the JSON 404 of any unknown path for the rest (directories included: no
// listings).
func Static(files *assets.Index) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !files.Serve(c.Writer, c.Request, strings.TrimPrefix(c.Param("file"), "/")) {
			Abort(c, http.StatusNotFound, "not found")
		}
	}
}
