package controllers

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzBind posts arbitrary bodies under arbitrary Content-Types to the body
// binder. Whatever arrives, the answer is JSON with a status Bind may give;
// a type other than JSON or a form is refused with 415 before one byte of
// the body is read; JSON nested past the limit never reaches a decoder.
// Seeds are in testdata/fuzz/FuzzBind.
func FuzzBind(f *testing.F) {
	f.Add("application/json", []byte(`{"username":"bob","password":"secret12"}`))
	f.Add("application/x-www-form-urlencoded; charset=utf-8", []byte("username=bob&password=secret12"))
	f.Add("application/yaml", []byte("a: &a [x, x]\nb: &b [*a, *a]\nusername: *b\n"))
	f.Add("application/json", []byte(strings.Repeat("[", 100)))
	const limit = 4 << 10 // small, so that oversized bodies are found too
	r := binder(limit)
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		status, res, read := post(t, r, contentType, body)
		kind, ok := bodyType(contentType)
		switch {
		case !ok:
			if status != http.StatusUnsupportedMediaType || read != 0 {
				t.Fatalf("%q: %d after reading %d bytes, want 415 before reading", contentType, status, read)
			}
		case kind == mimeJSON && len(body) <= limit && jsonTooDeep(body, maxJSONDepth):
			if status != http.StatusBadRequest || res.Message != "malformed request body: nested too deeply" {
				t.Fatalf("deep JSON: %d %q", status, res.Message)
			}
		case status != http.StatusOK && status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge:
			t.Fatalf("%q: status %d", contentType, status)
		}
		if (status == http.StatusOK) != (res.Code == 0) {
			t.Fatalf("status %d with code %d", status, res.Code)
		}
	})
}
