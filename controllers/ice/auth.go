package ice

import (
	"net"
	"strconv"

	"github.com/pion/turn/v5"
)

// authenticate is pion's AuthHandler: it returns the key a valid
// credential's message integrity must match. A forged password gets the
// right key too, and pion then refuses the message (see events). Pion's
// own LongTermTURNRESTAuthHandler is not used because it logs every bad
// username at Error level and accepts any realm.
func (s *Server) authenticate(ra *turn.RequestAttributes) (userID string, key []byte, ok bool) {
	expires, id, ok := ParseUsername(ra.Username)
	switch {
	case !ok:
		s.refuse("malformed TURN username", ra.SrcAddr, ra.Username)
	case s.opts.Now().After(expires):
		s.refuse("expired TURN credential", ra.SrcAddr, ra.Username)
	case ra.Realm != s.opts.Realm:
		s.refuse("TURN credential for another realm", ra.SrcAddr, ra.Username)
	case !s.access.allowed(id):
		// Credentials outlive the account's state: refused on every
		// request, the open relays' refreshes and permissions included.
		s.refuse("TURN credential of a disabled user", ra.SrcAddr, ra.Username)
	default:
		key := turn.GenerateAuthKey(ra.Username, ra.Realm, Password(s.opts.Secret, ra.Username))
		return strconv.FormatUint(id, 10), key, true
	}
	return "", nil, false
}

func (s *Server) refuse(why string, src net.Addr, username string) {
	s.stats.authFailures.Add(1)
	s.refusals.Do(func() { s.log.Warn(why, "client", src.String(), "username", username) })
}

// quota is pion's QuotaHandler: a user at a limit gets 486 (Allocation
// Quota Reached). The relay generator enforces the same limits exactly.
func (s *Server) quota(userID, _ string, src net.Addr) bool {
	if s.limits.room(userID) {
		return true
	}
	s.stats.quotaRefusals.Add(1)
	s.refusals.Do(func() { s.log.Warn("turn allocation limit reached", "user", userID, "client", src.String()) })
	return false
}

// permit is pion's PermissionHandler, asked before every CreatePermission
// and ChannelBind: without a permission nothing is relayed to a peer.
func (s *Server) permit(client net.Addr, peer net.IP) bool {
	if s.opts.Policy.Allowed(peer) {
		return true
	}
	s.stats.peerDenials.Add(1)
	s.refusals.Do(func() { s.log.Warn("turn peer address denied", "client", client.String(), "peer", peer.String()) })
	return false
}

func (s *Server) events() turn.EventHandler {
	return turn.EventHandler{
		OnAuth: func(src, _ net.Addr, _, username, _, method string, verdict bool) {
			if !verdict {
				s.refuse("forged TURN credential (wrong secret?) in "+method, src, username)
			}
		},
		// The client's address says how it reached the server: pion
		// reports every allocation's protocol as UDP, its relay's.
		OnAllocationCreated: func(src, _ net.Addr, _, userID, _ string, relay net.Addr, _ int) {
			s.stats.created.Add(1)
			active, _ := s.limits.counts()
			s.log.Info("turn relay opened", "user", userID, "client", src.String(), "transport", src.Network(),
				"relay", relay.String(), "active", active)
		},
		OnAllocationDeleted: func(src, _ net.Addr, _, userID, _ string) {
			s.log.Info("turn relay closed", "user", userID, "client", src.String(), "transport", src.Network())
		},
	}
}
