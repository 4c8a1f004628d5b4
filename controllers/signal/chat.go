package signal

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"callapp/models"
)

// sendToAll handles Message/SendToAll on the reader goroutine: it checks
// and stores the message, then has the loop broadcast it to everyone,
// sender included, so that all see the stored id and time.
func (c *client) sendToAll(r *request) error {
	h := c.hub
	text, err := h.chatText(c, r.Message)
	if err != nil {
		return err
	}
	if h.clustered() && !h.rep.cl.Health().Up {
		return errUnavailable // stored but delivered here only, it would differ from node to node
	}
	m := &models.ChatMessage{FromID: c.user.ID, Username: c.user.Username, Message: text}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := h.store.SaveChatMessage(ctx, m); err != nil {
		return err
	}
	h.stats.chat.Add(1)
	msg := encodeText(models.CodeChat, models.MethodSendToAll, m.View())
	if h.clustered() {
		// Every node drops its history and delivers it to its own users.
		return h.appendEntry(entry{Kind: entryChat, Raw: msg})
	}
	h.history.changed()
	h.submit(op{do: func() { h.router.Broadcast(msg) }})
	return nil
}

// chatText is message as c may send it to the group chat or a room, or
// the 10001 that refuses it: checked, then charged to c's user's chat
// bucket (one bucket for both, across reconnects).
func (h *Hub) chatText(c *client, message string) (string, error) {
	text, err := cleanChat(message)
	switch {
	case err != nil:
		return "", err
	case !h.chatRate.allow(c.user.ID):
		return "", errRateLimited
	}
	return text, nil
}

// cleanChat checks a chat or room message (models.CleanChat) and returns
// the text to send, or the 10001 that refuses it.
func cleanChat(message string) (string, error) {
	text, reason := models.CleanChat(message)
	switch reason {
	case "":
		return text, nil
	case models.ReasonEmpty:
		return "", refuse(reason, "the message is empty")
	case models.ReasonControlChar:
		return "", refuse(reason, "the message contains a control character (only newline and tab are allowed)")
	}
	return "", refuse(reason, "the message is too long")
}

// userLimiters rate-limits per user rather than per connection, so that
// reconnecting does not refill the bucket. A user's limiter is dropped once
// its bucket has refilled: a full bucket and a new one behave the same, so
// the map holds only users who chatted lately.
type userLimiters struct {
	mu        sync.Mutex
	m         map[uint64]*rate.Limiter
	every     rate.Limit
	burst     int
	nextSweep time.Time
}

// limiterSweep is how often full buckets are dropped.
const limiterSweep = time.Minute

func newUserLimiters(perSec float64, burst int) *userLimiters {
	return &userLimiters{m: make(map[uint64]*rate.Limiter), every: rate.Limit(perSec), burst: burst}
}

func (l *userLimiters) allow(id uint64) bool {
	return l.allowAt(id, time.Now())
}

func (l *userLimiters) allowAt(id uint64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.After(l.nextSweep) {
		l.sweep(now)
		l.nextSweep = now.Add(limiterSweep)
	}
	lim := l.m[id]
	if lim == nil {
		lim = rate.NewLimiter(l.every, l.burst)
		l.m[id] = lim
	}
	return lim.AllowN(now, 1)
}

// sweep drops the limiters whose bucket is full again. l.mu is held.
func (l *userLimiters) sweep(now time.Time) {
	for id, lim := range l.m {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.m, id)
		}
	}
}
