package ice

import (
	"time"

	"callapp/models"
)

// ProviderOptions says which servers a Provider hands out.
type ProviderOptions struct {
	Secret   string        // shared with every TURN server in TURNURLs
	TTL      time.Duration // lifetime of each credential
	STUNURLs []string      // stun: URLs, handed out without credentials
	TURNURLs []string      // turn:/turns: URLs, handed out with a fresh credential
	Now      func() time.Time
}

// Provider builds a user's RTCConfiguration.iceServers. A nil Provider
// hands out nothing, so callers need no special case when ICE is off.
type Provider struct {
	opts ProviderOptions
}

// NewProvider returns a Provider; Now defaults to time.Now.
func NewProvider(o ProviderOptions) *Provider {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Provider{opts: o}
}

// ICEServers returns the STUN servers and, when there are TURN servers, a
// credential for userID valid for TTL from now, in the shape
// RTCPeerConnection takes. The websocket welcome and the HTTP API both
// call it, so a renewed credential is only ever a new call away.
func (p *Provider) ICEServers(userID uint64) []models.ICEServer {
	if p == nil {
		return []models.ICEServer{}
	}
	servers := []models.ICEServer{}
	if len(p.opts.STUNURLs) > 0 {
		servers = append(servers, models.ICEServer{URLs: p.opts.STUNURLs})
	}
	if len(p.opts.TURNURLs) > 0 {
		cred := NewCredential(p.opts.Secret, userID, p.opts.Now().Add(p.opts.TTL))
		servers = append(servers, models.ICEServer{
			URLs: p.opts.TURNURLs, Username: cred.Username, Credential: cred.Password,
		})
	}
	return servers
}

// TTL is how long the credentials ICEServers returns stay valid; zero when
// it hands out none, so there is nothing to renew.
func (p *Provider) TTL() time.Duration {
	if p == nil || len(p.opts.TURNURLs) == 0 {
		return 0
	}
	return p.opts.TTL
}

// URLs lists every server the Provider hands out, for the admin's view.
func (p *Provider) URLs() []string {
	if p == nil {
		return []string{}
	}
	return append(append([]string{}, p.opts.STUNURLs...), p.opts.TURNURLs...)
}
