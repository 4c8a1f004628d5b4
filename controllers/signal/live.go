package signal

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"callapp/models"
)

// A live broadcast is one sender and up to LiveMaxViewers viewers. The
// media is pushed: on 10032 the broadcaster's browser opens a send-only
// connection to the new viewer and offers; the hub only says who joined
// and relays between the broadcaster and its viewers. A user does one
// thing at a time: a call, a broadcast, or watching one broadcast.
//
// Everyone online hears of a broadcast (10030) when it starts and when its
// viewer count changes, at most once per LiveUpdateEvery: a crowd joining
// costs everyone one envelope per interval, not one per viewer.

// broadcast is a live broadcast's state. Only the loop touches it.
type broadcast struct {
	id      string
	owner   models.UserBrief
	title   string
	viewers map[uint64]models.UserBrief
	sentAt  time.Time   // when 10030 last went out
	sent    int         // the viewer count it said
	update  *time.Timer // armed while a changed count waits for its turn
}

func (b *broadcast) info() models.LiveInfo {
	return models.LiveInfo{LiveID: b.id, FromID: b.owner.ID, User: b.owner, Title: b.title, Viewers: len(b.viewers)}
}

// The refusals of the live methods.
var (
	errBadTitle      = refuse(models.ReasonBadTitle, "the title must be 1 to 100 characters, without control characters")
	errBadLiveStart  = refuse(models.ReasonBadJSON, `data must be {"title": "..."}`)
	errBadLiveRef    = refuse(models.ReasonBadJSON, `data must be {"liveId": "..."}`)
	errMissingLiveID = refuse(models.ReasonMissingField, "data.liveId is required")
	errAlreadyLive   = refuse(models.ReasonAlreadyLive, "you are broadcasting; stop first")
	errAlreadyWatch  = refuse(models.ReasonAlreadyWatching, "you are watching a broadcast; leave it first")
	errNotLive       = refuse(models.ReasonNotLive, "you are not broadcasting")
	errNoSuchLive    = refuse(models.ReasonNoSuchLive, "no such broadcast")
	errNotWatching   = refuse(models.ReasonNotWatching, "you are not watching that broadcast")
)

// engaged says why user id may not start a call, join a room, broadcast or
// watch: each excludes the others.
func (h *Hub) engaged(id uint64) error {
	switch {
	case h.liveOf[id] != nil:
		return errAlreadyLive
	case h.watching[id] != nil:
		return errAlreadyWatch
	case h.callOf[id] != nil:
		return errAlreadyInCall
	case h.roomOf[id] != nil:
		return errAlreadyInRoom
	}
	return nil
}

// liveStart handles Live/Start: the sender becomes a broadcaster, and
// everyone online, the sender included, gets 10030.
func (h *Hub) liveStart(c *client, r *request) error {
	var in models.LiveStart
	if err := json.Unmarshal(r.Data, &in); err != nil {
		return errBadLiveStart
	}
	title, reason := models.CleanLiveTitle(in.Title)
	if reason != "" {
		return errBadTitle
	}
	if err := h.engaged(c.user.ID); err != nil {
		return err
	}
	b := &broadcast{id: h.newEntityID(), owner: brief(c.user), title: title, viewers: make(map[uint64]models.UserBrief)}
	h.lives[b.id], h.liveOf[b.owner.ID] = b, b
	h.stats.lives.Add(1)
	h.flushPresenceOf(b.owner.ID) // no one hears of a broadcast by someone not yet online to them
	h.announce(b)
	return nil
}

// liveStop handles Live/Stop.
func (h *Hub) liveStop(c *client, _ *request) error {
	b := h.liveOf[c.user.ID]
	if b == nil {
		return errNotLive
	}
	h.endLive(b)
	return nil
}

// liveWatch handles Live/Watch: the broadcaster hears of the viewer
// (10032) and offers; a viewer over LiveMaxViewers gets 10034 instead.
func (h *Hub) liveWatch(c *client, r *request) error {
	b, err := h.liveFor(r)
	if err != nil {
		return err
	}
	if err := h.engaged(c.user.ID); err != nil {
		return err
	}
	if len(b.viewers) >= h.opts.LiveMaxViewers {
		full := models.LiveFull{LiveID: b.id, MaxViewers: h.opts.LiveMaxViewers}
		c.enqueue(outgoing{data: encode(models.CodeLiveFull, models.MethodLiveWatch, full)})
		return nil
	}
	me := brief(c.user)
	b.viewers[me.ID], h.watching[me.ID] = me, b
	h.stats.viewers.Add(1)
	h.flushPresenceOf(me.ID)
	joined := models.LiveViewer{LiveID: b.id, FromID: me.ID, User: me}
	h.router.SendToUser(b.owner.ID, encode(models.CodeLiveViewer, models.MethodLiveWatch, joined))
	if h.away[b.owner.ID] != nil { // its offer comes when it is back
		ev := models.PeerAway{LiveID: b.id, FromID: b.owner.ID, GraceSec: h.opts.graceSec()}
		c.enqueue(outgoing{data: encode(models.CodePeerAway, models.MethodDisconnect, ev)})
	}
	h.viewersChanged(b)
	return nil
}

// liveLeave handles Live/Leave from a viewer of that broadcast.
func (h *Hub) liveLeave(c *client, r *request) error {
	ref, err := parseLiveRef(r)
	if err != nil {
		return err
	}
	b := h.watching[c.user.ID]
	if b == nil || b.id != ref.LiveID {
		return errNotWatching
	}
	h.dropViewer(b, c.user.ID)
	return nil
}

// liveFor finds the broadcast the request names.
func (h *Hub) liveFor(r *request) (*broadcast, error) {
	ref, err := parseLiveRef(r)
	if err != nil {
		return nil, err
	}
	if b := h.lives[ref.LiveID]; b != nil {
		return b, nil
	}
	return nil, errNoSuchLive
}

func parseLiveRef(r *request) (models.LiveRef, error) {
	var ref models.LiveRef
	if err := json.Unmarshal(r.Data, &ref); err != nil {
		return ref, errBadLiveRef
	}
	if ref.LiveID == "" {
		return ref, errMissingLiveID
	}
	return ref, nil
}

func brief(u models.UserView) models.UserBrief {
	return models.UserBrief{ID: u.ID, Username: u.Username}
}

// endLiveOf ends what user id does live, as for a disconnect: their
// broadcast ends, or they stop watching one.
func (h *Hub) endLiveOf(id uint64) {
	if b := h.liveOf[id]; b != nil {
		h.endLive(b)
	}
	if b := h.watching[id]; b != nil {
		h.dropViewer(b, id)
	}
}

// endLive removes a broadcast and tells everyone online (10031); its
// viewers learn it there too.
func (h *Hub) endLive(b *broadcast) {
	h.forget(b)
	h.router.Broadcast(encode(models.CodeLiveEnded, models.MethodLiveStop, models.LiveRef{LiveID: b.id}))
}

// forget removes a broadcast and its viewers from the state.
func (h *Hub) forget(b *broadcast) {
	if b.update != nil {
		b.update.Stop()
	}
	for id := range b.viewers {
		delete(h.watching, id)
	}
	h.stats.viewers.Add(-int64(len(b.viewers)))
	h.stats.lives.Add(-1)
	delete(h.lives, b.id)
	delete(h.liveOf, b.owner.ID)
}

// dropViewer takes viewer id off b and tells the broadcaster (10033).
func (h *Hub) dropViewer(b *broadcast, id uint64) {
	delete(b.viewers, id)
	delete(h.watching, id)
	h.stats.viewers.Add(-1)
	left := models.LiveViewerLeft{LiveID: b.id, FromID: id}
	h.router.SendToUser(b.owner.ID, encode(models.CodeLiveLeft, models.MethodLiveLeave, left))
	h.viewersChanged(b)
}

// viewersChanged sends b's new count now if the last 10030 is
// LiveUpdateEvery old, or else once it is; changes meanwhile ride along.
func (h *Hub) viewersChanged(b *broadcast) {
	if b.update != nil {
		return // armed: it sends the count as it is then
	}
	wait := time.Until(b.sentAt.Add(h.opts.LiveUpdateEvery))
	if wait <= 0 {
		h.announce(b)
		return
	}
	b.update = time.AfterFunc(wait, func() {
		h.submit(op{do: func() { h.sendUpdate(b) }})
	})
}

// sendUpdate is the armed update's turn: the count as it is now, unless
// the broadcast ended or the count is back to what was said.
func (h *Hub) sendUpdate(b *broadcast) {
	if h.lives[b.id] != b {
		return
	}
	b.update = nil
	if len(b.viewers) != b.sent {
		h.announce(b)
	}
}

// announce tells everyone online about b as it is (10030).
func (h *Hub) announce(b *broadcast) {
	b.sentAt, b.sent = time.Now(), len(b.viewers)
	h.router.Broadcast(encode(models.CodeLive, models.MethodLiveStart, b.info()))
}

// liveList is the 10035 envelope: the broadcasts going on, by broadcaster.
func (h *Hub) liveList() []byte {
	list := make([]models.LiveInfo, 0, len(h.lives))
	for _, b := range h.lives {
		list = append(list, b.info())
	}
	slices.SortFunc(list, func(a, b models.LiveInfo) int { return cmp.Compare(a.FromID, b.FromID) })
	return encode(models.CodeLiveList, models.MethodConnect, list)
}

// sameLive reports whether one of a and b broadcasts and the other watches it.
func (h *Hub) sameLive(a, b uint64) bool {
	if l := h.liveOf[a]; l != nil && h.watching[b] == l {
		return true
	}
	l := h.liveOf[b]
	return l != nil && h.watching[a] == l
}

// sortedViewers returns b's viewers by id.
func sortedViewers(b *broadcast) []models.UserBrief {
	viewers := slices.AppendSeq(make([]models.UserBrief, 0, len(b.viewers)), maps.Values(b.viewers))
	slices.SortFunc(viewers, func(x, y models.UserBrief) int { return cmp.Compare(x.ID, y.ID) })
	return viewers
}

// Lives returns the broadcasts going on with their viewers, for the admin.
func (h *Hub) Lives() []models.LiveAdmin {
	list := []models.LiveAdmin{}
	h.do(func() {
		for _, b := range h.lives {
			list = append(list, models.LiveAdmin{LiveID: b.id, Broadcaster: b.owner, Title: b.title, Viewers: sortedViewers(b)})
		}
	})
	slices.SortFunc(list, func(a, b models.LiveAdmin) int { return cmp.Compare(a.Broadcaster.ID, b.Broadcaster.ID) })
	return list
}
