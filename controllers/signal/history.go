package signal

import (
	"context"
	"sync"

	"callapp/models"
)

// historyCache holds the chat history envelope (10004) that every
// newcomer gets, so that a connect costs no database query: a server
// filling up would otherwise read the same rows thousands of times a
// second. It is dropped when a message is stored or deleted and read
// again by the next connect.
//
// The lock is held during the query. A change therefore waits for a
// read in progress and then drops it, and a read after a change sees the
// change: a message stored before a newcomer registered is in that
// newcomer's history even if its 10005 went out before.
type historyCache struct {
	mu  sync.Mutex
	msg outgoing // msg.data nil: read it from the store
}

// get returns the history envelope with the latest limit messages.
func (hc *historyCache) get(store Store, limit int) (outgoing, error) {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	if hc.msg.data != nil {
		return hc.msg, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	rows, err := store.ChatHistory(ctx, 0, limit)
	if err != nil {
		return outgoing{}, err
	}
	hc.msg = newOutgoing(encodeText(models.CodeChatHistory, models.MethodConnect, models.ChatViews(rows)))
	return hc.msg, nil
}

// changed drops the cached history: a message was stored or deleted.
func (hc *historyCache) changed() {
	hc.mu.Lock()
	hc.msg = outgoing{}
	hc.mu.Unlock()
}
