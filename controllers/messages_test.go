package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"callapp/models"
)

// fakeChat serves ids 1-n and records the last query.
type fakeChat struct {
	n            uint64
	err          error
	before       uint64
	limit, calls int
}

func (f *fakeChat) ChatHistory(_ context.Context, before uint64, limit int) ([]models.ChatMessage, error) {
	f.before, f.limit, f.calls = before, limit, f.calls+1
	if f.err != nil {
		return nil, f.err
	}
	top := f.n + 1
	if before > 0 && before < top {
		top = before
	}
	var out []models.ChatMessage
	for id := max(1, int64(top)-int64(limit)); id < int64(top); id++ {
		out = append(out, models.ChatMessage{ID: uint64(id), FromID: 7, Username: "u", Message: "m"})
	}
	return out, nil
}

func serveMessages(t *testing.T, chat *fakeChat, query string) (int, Response, []models.ChatMessageView) {
	t.Helper()
	r := handlerRouter()
	r.GET("/webrtc/api/messages", (&MessagesHandler{Chat: chat}).List)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/webrtc/api/messages"+query, nil))
	var body struct {
		Response
		Data []models.ChatMessageView `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s: body %q: %v", query, w.Body, err)
	}
	return w.Code, body.Response, body.Data
}

func TestMessagesListPages(t *testing.T) {
	chat := &fakeChat{n: 300}
	code, resp, views := serveMessages(t, chat, "")
	if code != http.StatusOK || resp.Code != 0 || len(views) != 50 || chat.before != 0 || chat.limit != 50 {
		t.Fatalf("default: %d %+v, %d views, query before=%d limit=%d", code, resp, len(views), chat.before, chat.limit)
	}
	if views[0].ID != 251 || views[49].ID != 300 || views[0].FromID != 7 {
		t.Errorf("latest page runs %d..%d, want 251..300 oldest first", views[0].ID, views[49].ID)
	}
	code, _, views = serveMessages(t, chat, "?before=251&limit=200")
	if code != http.StatusOK || len(views) != 200 || views[0].ID != 51 || views[199].ID != 250 {
		t.Errorf("older page: %d, %d views", code, len(views))
	}
	_, _, views = serveMessages(t, chat, "?before=3&limit=10")
	if len(views) != 2 {
		t.Errorf("last page: %d views", len(views))
	}
}

func TestMessagesListRefusesBadQueries(t *testing.T) {
	for _, q := range []string{"?limit=0", "?limit=201", "?limit=x", "?limit=-1", "?before=-1", "?before=abc", "?before=1.5"} {
		chat := &fakeChat{n: 10}
		code, resp, _ := serveMessages(t, chat, q)
		if code != http.StatusBadRequest || resp.Code != 1 || resp.Message == "" || chat.calls != 0 {
			t.Errorf("%s: %d %+v, store called %d times", q, code, resp, chat.calls)
		}
	}
}

func TestMessagesListHidesStoreErrors(t *testing.T) {
	code, resp, _ := serveMessages(t, &fakeChat{err: errors.New("dao: chat history: disk on fire")}, "")
	if code != http.StatusInternalServerError || resp.Message != "internal server error" {
		t.Errorf("%d %+v", code, resp)
	}
}
