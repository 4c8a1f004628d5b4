package apptest

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"
)

// Client is one browser: its own cookie jar, no redirect following.
func (a *App) Client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Reply is an answer: its status and headers and, when it is JSON, the
// envelope every API answers with.
type Reply struct {
	Status int
	Header http.Header
	Code   int               `json:"code"`
	Msg    string            `json:"message"`
	Reason string            `json:"reason"`
	Fields map[string]string `json:"fields"`
	Data   json.RawMessage   `json:"data"`
}

// Do sends a request with c. header lists names and values; a "Host"
// name sets the request's host, an empty name is skipped.
func (a *App) Do(c *http.Client, method, path, contentType, body string, header ...string) Reply {
	a.t.Helper()
	req, err := http.NewRequest(method, a.URL+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		switch header[i] {
		case "":
		case "Host": // the client sends req.Host, not a Host header
			req.Host = header[i+1]
		default:
			req.Header.Set(header[i], header[i+1])
		}
	}
	res, err := c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	r := Reply{Status: res.StatusCode, Header: res.Header}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
			a.t.Fatalf("%s %s: bad JSON answer: %v", method, path, err)
		}
	}
	return r
}

// PostJSON posts body as JSON.
func (a *App) PostJSON(c *http.Client, path string, body any, header ...string) Reply {
	b, _ := json.Marshal(body)
	return a.Do(c, http.MethodPost, path, "application/json", string(b), header...)
}

// Get fetches path with c and decodes a 200 answer's data into data,
// failing the test unless it is the API's "ok".
func (a *App) Get(c *http.Client, path string, data any) Reply {
	a.t.Helper()
	r := a.Do(c, http.MethodGet, path, "", "")
	if r.Status == http.StatusOK && (r.Code != 0 || r.Msg != "ok" || json.Unmarshal(r.Data, data) != nil) {
		a.t.Fatalf("GET %s: answer %+v", path, r)
	}
	return r
}

// Cred is the body of a login or registration.
func Cred(user, pw string) map[string]string {
	return map[string]string{"username": user, "password": pw}
}

// Password is the password Register gives name.
func Password(name string) string { return "password-" + name }

// Register makes an account and returns a client logged in as it.
func (a *App) Register(name string) *http.Client {
	a.t.Helper()
	c := a.Client()
	if r := a.PostJSON(c, "/webrtc/register", Cred(name, Password(name))); r.Status != http.StatusCreated {
		a.t.Fatalf("register %s: %d %s", name, r.Status, r.Msg)
	}
	return c
}
