package controllers

import (
	"net/http"

	"callapp/controllers/i18n"
	"callapp/models"

	"github.com/gin-gonic/gin"
)

// Pages renders the HTML pages from www/. The templates use [[ ]] so that
// Vue's {{ }} passes through untouched.
type Pages struct {
	RegistrationOpen bool
	Words            *i18n.Catalog
}

// pageData is what a template sees: [[.T "key"]] is a key's words in the
// page's language, which scripts read from the same table (Table).
type pageData struct {
	Title            string // a key of the table
	User             any
	RegistrationOpen bool
	Lang             string
	words            *i18n.Catalog
}

// T is key's words in the page's language; args are name, value pairs
// for the {name} placeholders.
func (d pageData) T(key string, args ...string) string { return d.words.T(d.Lang, key, args...) }

// Langs are the languages the switcher offers, as tag and name.
func (d pageData) Langs() [][2]string {
	var out [][2]string
	for _, tag := range d.words.Tags() {
		out = append(out, [2]string{tag, d.words.Name(tag)})
	}
	return out
}

// LangCookie is the cookie the switcher sets to remember a choice.
func (d pageData) LangCookie() string { return i18n.Cookie }

// Table is the path of the page language's table, which the scripts fetch.
func (d pageData) Table() string { return "/webrtc/static/i18n/" + d.Lang + ".json" }

func (p *Pages) render(c *gin.Context, name, title string) {
	data := pageData{Title: title, RegistrationOpen: p.RegistrationOpen, Lang: p.Words.Pick(c.Request), words: p.Words}
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
	p.render(c, "login.html", "page.title.login")
}

// Register serves the registration page.
func (p *Pages) Register(c *gin.Context) {
	if CurrentUser(c) != nil {
		c.Redirect(http.StatusFound, "/webrtc/in")
		return
	}
	p.render(c, "register.html", "page.title.register")
}

// Home serves the calling page.
func (p *Pages) Home(c *gin.Context) { p.render(c, "home.html", "page.title.home") }

// Live serves a broadcast's viewer page; the page reads the broadcast's id
// from its own path and asks the hub, which answers for unknown ids.
func (p *Pages) Live(c *gin.Context) { p.render(c, "live.html", "page.title.live") }

// Room serves the page of the room named in the URL; a name the hub would
// refuse answers 404, so that a mistyped link is not a page that fails later.
func (p *Pages) Room(c *gin.Context) {
	if _, ok := models.RoomKey(c.Param("name")); !ok {
		Abort(c, http.StatusNotFound, "no such room: a room name is letters, digits, _ and -")
		return
	}
	p.render(c, "room.html", "page.title.room")
}

// Admin serves the admin dashboard.
func (p *Pages) Admin(c *gin.Context) { p.render(c, "admin.html", "page.title.admin") }
