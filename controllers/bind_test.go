package controllers

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"callapp/models"
)

// binder is a router whose one route binds its body into Credentials and
// echoes it, behind the same error renderer and body limit as the app.
func binder(limit int64) *gin.Engine {
	r := handlerRouter(LimitBody(limit))
	r.POST("/bind", func(c *gin.Context) {
		var cred models.Credentials
		if Bind(c, &cred) {
			OK(c, http.StatusOK, "ok", cred)
		}
	})
	return r
}

// readCounter is a request body that counts the bytes read from it.
type readCounter struct {
	r    io.Reader
	read int
}

func (rc *readCounter) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	rc.read += n
	return n, err
}

// post sends body as contentType to the binder and returns the status, the
// decoded answer and how many body bytes the server read.
func post(t testing.TB, r *gin.Engine, contentType string, body []byte) (int, Response, int) {
	t.Helper()
	rc := &readCounter{r: strings.NewReader(string(body))}
	req := httptest.NewRequest(http.MethodPost, "/bind", rc)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	var res Response
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatalf("%q %q: answer is not JSON: %q", contentType, body, w.Body.String())
	}
	return w.Code, res, rc.read
}

func TestBindRefusesOtherBodyTypes(t *testing.T) {
	r := binder(64 << 10)
	// A YAML alias bomb in miniature: gin's YAML decoder would expand it.
	yaml := "a: &a [x, x]\nb: &b [*a, *a]\nusername: *b\n"
	bodies := map[string]string{
		"application/yaml": yaml, "application/x-yaml": yaml, "text/yaml": yaml,
		"application/toml":                 "username = [[[1]]]",
		"application/xml":                  "<Credentials><username>bob</username></Credentials>",
		"text/xml":                         "<Credentials><username>bob</username></Credentials>",
		"application/x-msgpack":            "\x81\xa8username\xa3bob",
		"application/msgpack":              "\x81\xa8username\xa3bob",
		"application/bson":                 "\x05\x00\x00\x00\x00",
		"application/x-protobuf":           "\x0a\x03bob",
		"multipart/form-data; boundary=xx": "--xx\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nbob\r\n--xx--\r\n",
		"text/plain":                       `{"username":"bob"}`,
		"":                                 `{"username":"bob"}`,
		"application/json; charset":        `{"username":"bob"}`, // malformed parameter
		"application/jsonx":                `{"username":"bob"}`,
	}
	for contentType, body := range bodies {
		status, res, read := post(t, r, contentType, []byte(body))
		if status != http.StatusUnsupportedMediaType || res.Code != 1 || !strings.HasPrefix(res.Message, "unsupported content type") {
			t.Errorf("%q: %d %+v, want 415 with the JSON error", contentType, status, res)
		}
		if read != 0 {
			t.Errorf("%q: %d body bytes read before refusing", contentType, read)
		}
	}
}

func TestBindReadsJSONAndForms(t *testing.T) {
	r := binder(64 << 10)
	cases := []struct{ contentType, body string }{
		{"application/json", `{"username":"bob","password":"secret12"}`},
		{"application/json; charset=utf-8", `{"username":"bob","password":"secret12"}`},
		{"Application/JSON; Charset=UTF-8", `{"username":"bob","password":"secret12"}`},
		{"application/x-www-form-urlencoded", "username=bob&password=secret12"},
		{"application/x-www-form-urlencoded; charset=UTF-8", "username=bob&password=secret12"},
	}
	for _, tc := range cases {
		status, res, _ := post(t, r, tc.contentType, []byte(tc.body))
		data, _ := json.Marshal(res.Data)
		var got models.Credentials
		_ = json.Unmarshal(data, &got)
		if status != http.StatusOK || got != (models.Credentials{Username: "bob", Password: "secret12"}) {
			t.Errorf("%q: %d %s", tc.contentType, status, data)
		}
	}
}

func TestBindBoundsJSONDepth(t *testing.T) {
	r := binder(64 << 10)
	nest := func(depth int) string { // depth counts the outer object
		return `{"username":"bob","x":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
	}
	cases := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"at the limit", nest(maxJSONDepth), http.StatusOK, "ok"},
		{"one deeper", nest(maxJSONDepth + 1), http.StatusBadRequest, "malformed request body: nested too deeply"},
		{"60 KB of [", strings.Repeat("[", 60<<10), http.StatusBadRequest, "malformed request body: nested too deeply"},
		{"brackets in a string", `{"username":"` + strings.Repeat("[", 100) + `\"{"}`, http.StatusOK, "ok"},
		{"unclosed", `{"username":`, http.StatusBadRequest, "malformed request body"},
	}
	for _, tc := range cases {
		status, res, _ := post(t, r, "application/json", []byte(tc.body))
		if status != tc.status || res.Message != tc.msg {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, res.Message, tc.status, tc.msg)
		}
	}
}

func TestBindOversizedBody(t *testing.T) {
	r := binder(64)
	for contentType, body := range map[string]string{
		"application/json":                  `{"username":"` + strings.Repeat("x", 100) + `"}`,
		"application/x-www-form-urlencoded": "username=" + strings.Repeat("x", 100),
	} {
		if status, res, _ := post(t, r, contentType, []byte(body)); status != http.StatusRequestEntityTooLarge || res.Message != "request body too large" {
			t.Errorf("%s: %d %q, want 413", contentType, status, res.Message)
		}
	}
}
