package controllers

import (
	"bytes"
	"compress/gzip"
	"html/template"
	"net/http"
	"strings"

	"callapp/controllers/assets"
	"callapp/controllers/i18n"
	"callapp/models"

	"github.com/gin-gonic/gin"
)

// Pages renders the HTML pages from www/. The templates use [[ ]] so that
// Vue's {{ }} passes through untouched.
type Pages struct {
	RegistrationOpen bool
	Words            *i18n.Catalog
	Assets           *assets.Index // static/, for the pages' versioned URLs
	Templates        *template.Template
}

// pageData is what a template sees: [[.T "key"]] is a key's words in the
// page's language, which scripts read from the same table (Table).
type pageData struct {
	Title            string // a key of the table
	User             any
	RegistrationOpen bool
	Lang             string
	Error            *errorPage // what went wrong, on the error page
	words            *i18n.Catalog
	assets           *assets.Index
}

// errorPage is what the error page says, as keys of the table.
type errorPage struct {
	Title, Heading, Text string
	Message              string // the JSON error's message, for clients not asking for a page
}

var (
	notFound = errorPage{Title: "page.title.notFound", Heading: "page.notFound.heading", Text: "page.notFound.text",
		Message: "not found"}
	noRoom = errorPage{Title: "page.title.notFound", Heading: "page.noRoom.heading", Text: "page.noRoom.text",
		Message: "no such room: a room name is letters, digits, _ and -"}
	adminsOnly = errorPage{Title: "page.title.forbidden", Heading: "page.forbidden.heading", Text: "page.forbidden.text",
		Message: "admins only"}
)

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

// Table is the URL of the page language's table, which the scripts fetch.
func (d pageData) Table() (string, error) { return d.assets.URL("i18n/" + d.Lang + ".json") }

// Asset is the versioned URL of a file under static/, such as "js/page.js":
// browsers keep it a year, and a new release has new URLs.
func (d pageData) Asset(name string) (string, error) { return d.assets.URL(name) }

// ImportMap is the import map that versions the URLs the modules import
// each other by; it must come before the first module script.
func (d pageData) ImportMap() template.HTML { return d.assets.ImportMap() }

// show renders the page name with status. Pages are never cached: they
// name the current release's assets. Rendered whole before a byte is
// sent, a page that fails is a clean 500, and one that succeeds is
// compressed when the browser takes gzip: a repeat visit moves nothing
// else. (The pages hold no secret that compression could leak, BREACH
// style: the session is a cookie, and no page carries a token.)
func (p *Pages) show(c *gin.Context, status int, name string, data pageData) {
	data.RegistrationOpen, data.Lang, data.words, data.assets = p.RegistrationOpen, p.Words.Pick(c.Request), p.Words, p.Assets
	if u := CurrentUser(c); u != nil {
		data.User = u.View()
	}
	var buf bytes.Buffer
	if err := p.Templates.ExecuteTemplate(&buf, name, data); err != nil {
		AbortInternal(c, err)
		return
	}
	body := buf.Bytes()
	c.Header("Cache-Control", "no-store")
	c.Header("Vary", "Accept-Encoding")
	if assets.AcceptsGzip(c.GetHeader("Accept-Encoding")) {
		body = assets.Gzip(body, gzip.DefaultCompression)
		c.Header("Content-Encoding", "gzip")
	}
	c.Data(status, "text/html; charset=utf-8", body)
}

func (p *Pages) render(c *gin.Context, name, title string) {
	p.show(c, http.StatusOK, name, pageData{Title: title})
}

// fail answers status: a page saying e to a browser asking for a page
// (WantsPage), the JSON error to any other client.
func (p *Pages) fail(c *gin.Context, status int, e errorPage) {
	if !WantsPage(c) {
		Abort(c, status, e.Message)
		return
	}
	p.show(c, status, "error.html", pageData{Title: e.Title, Error: &e})
	c.Abort()
}

// WantsPage reports whether the request is a browser asking for a page:
// a GET for HTML outside the API, the websocket, the static files and the
// operators' endpoints, which keep their JSON errors.
func WantsPage(c *gin.Context) bool {
	r := c.Request
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	for _, p := range []string{"/webrtc/api/", "/webrtc/wss", "/webrtc/static/", "/metrics", "/healthz"} {
		if strings.HasPrefix(r.URL.Path, p) {
			return false
		}
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// NotFound answers a URL nothing serves.
func (p *Pages) NotFound(c *gin.Context) { p.fail(c, http.StatusNotFound, notFound) }

// RequireAdmin redirects anonymous visitors to the login page and refuses
// non-admins, with the error page in a browser.
func (p *Pages) RequireAdmin(c *gin.Context) {
	if u := CurrentUser(c); u != nil && !u.IsAdmin() {
		p.fail(c, http.StatusForbidden, adminsOnly)
		return
	}
	RequireUserPage(c)
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
		p.fail(c, http.StatusNotFound, noRoom)
		return
	}
	p.render(c, "room.html", "page.title.room")
}

// Admin serves the admin dashboard.
func (p *Pages) Admin(c *gin.Context) { p.render(c, "admin.html", "page.title.admin") }
