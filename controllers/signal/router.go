package signal

import "slices"

// Router delivers envelopes, marshaled once, to users wherever they are
// connected. It is the one seam between the hub's state and delivery: the
// in-process registry implements it today; a multi-node deployment puts an
// implementation over Redis behind it that also reaches users on other
// nodes. The hub calls it only from its loop goroutine, in the order its
// state changed, so implementations must not block: they queue.
type Router interface {
	// SendToUser queues msg for the user's connection and reports whether
	// the user was connected.
	SendToUser(userID uint64, msg []byte) bool
	// Broadcast queues msg for every connected user but those in except.
	Broadcast(msg []byte, except ...uint64)
	// SendSplice is SendToUser for the envelope head followed by tail:
	// a shared envelope with a part cut out, sent without copying it.
	SendSplice(userID uint64, head, tail []byte) bool
}

// registry is the local Router: each user's current connection. Only the
// hub's loop goroutine reads or writes it.
type registry map[uint64]*client

// SendToUser implements Router.
func (r registry) SendToUser(userID uint64, msg []byte) bool {
	c := r[userID]
	return c != nil && c.enqueue(outgoing{data: msg})
}

// SendSplice implements Router.
func (r registry) SendSplice(userID uint64, head, tail []byte) bool {
	c := r[userID]
	return c != nil && c.enqueue(outgoing{data: head, tail: tail})
}

// Broadcast implements Router.
func (r registry) Broadcast(msg []byte, except ...uint64) {
	skip := func(id uint64) bool { return slices.Contains(except, id) }
	if len(except) > 8 { // a presence batch during an arrival storm
		set := make(map[uint64]struct{}, len(except))
		for _, id := range except {
			set[id] = struct{}{}
		}
		skip = func(id uint64) bool { _, ok := set[id]; return ok }
	}
	out := newOutgoing(msg)
	for id, c := range r {
		if !skip(id) {
			c.enqueue(out)
		}
	}
}
