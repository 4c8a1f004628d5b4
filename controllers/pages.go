package controllers

import (
	"net/http"

	"callapp/models"

	"github.com/gin-gonic/gin"
)

// Pages renders the HTML pages from www/. The templates use [[ ]] so that
// Vue's {{ }} passes through untouched.
type Pages struct {
	RegistrationOpen bool
}

type pageData struct {
	Title            string
	User             any
	RegistrationOpen bool
}

func (p *Pages) render(c *gin.Context, name, title string) {
	data := pageData{Title: title, RegistrationOpen: p.RegistrationOpen}
	if u := CurrentUser(c); u != nil {
		data.User = u.View()
	}
	c.Header("Cache-Control", "no-store")
	c.HTML(http.StatusOK, name, data)
}

// Login serves the login page, or sends a logged-in user home.
func (p *Pages) Login(c *gin.Context) {
	if CurrentUser(c) != nil {
		c.Redirect(http.StatusFound, "/webrtc/in")
		return
	}
	p.render(c, "login.html", "Log in")
}

// Register serves the registration page.
func (p *Pages) Register(c *gin.Context) {
	if CurrentUser(c) != nil {
		c.Redirect(http.StatusFound, "/webrtc/in")
		return
	}
	p.render(c, "register.html", "Register")
}

// Home serves the calling page.
func (p *Pages) Home(c *gin.Context) { p.render(c, "home.html", "Calls") }

// Live serves a broadcast's viewer page; the page reads the broadcast's id
// from its own path and asks the hub, which answers for unknown ids.
func (p *Pages) Live(c *gin.Context) { p.render(c, "live.html", "Live") }

// Room serves the page of the room named in the URL; a name the hub would
// refuse answers 404, so that a mistyped link is not a page that fails later.
func (p *Pages) Room(c *gin.Context) {
	if _, ok := models.RoomKey(c.Param("name")); !ok {
		Abort(c, http.StatusNotFound, "no such room: a room name is letters, digits, _ and -")
		return
	}
	p.render(c, "room.html", "Room")
}

// Admin serves the admin dashboard.
func (p *Pages) Admin(c *gin.Context) { p.render(c, "admin.html", "Admin") }
