package models

import (
	"encoding/json"
	"time"
)

// The websocket protocol is documented in protocol.md beside this file;
// keep the two in step.

// Methods a client may send. Server envelopes reuse them to say what an
// event relates to (see protocol.md for the method of each code).
const (
	MethodConnect   = "User/Connect"
	MethodOffer     = "Message/Offer"
	MethodAnswer    = "Message/Answer"
	MethodCandidate = "Message/Candidate"
	MethodSendToAll = "Message/SendToAll"
	MethodInvite    = "Call/Invite"
	MethodAccept    = "Call/Accept"
	MethodReject    = "Call/Reject"
	MethodHangup    = "Call/Hangup"
	MethodRoomJoin  = "Room/Join"
	MethodRoomLeave = "Room/Leave"
	MethodRoomMsg   = "Room/Message"
	MethodLiveStart = "Live/Start"
	MethodLiveStop  = "Live/Stop"
	MethodLiveWatch = "Live/Watch"
	MethodLiveLeave = "Live/Leave"
	MethodCallStats = "Call/Stats"

	// Server-only methods, for events no client request caused.
	MethodStatus     = "User/Status"
	MethodDisconnect = "User/Disconnect"
)

// Codes of server envelopes. The numbers are fixed by the original design.
const (
	CodeOnlineUsers  = 10000 // []OnlineUser, after User/Connect
	CodeError        = 10001 // ErrorData
	CodeWelcome      = 10002 // Welcome
	CodeReplaced     = 10003 // nil: a newer connection of the same user took over
	CodeChatHistory  = 10004 // []ChatMessageView, oldest first
	CodeChat         = 10005 // ChatMessageView
	CodeUserOnline   = 10006 // OnlineUser
	CodeUserStatus   = 10007 // StatusChange
	CodeUserOffline  = 10008 // UserOffline
	CodeCandidate    = 10009 // Relay
	CodeOffer        = 10010 // Relay
	CodeAnswer       = 10011 // Relay
	CodeIncomingCall = 10012 // IncomingCall
	CodeCallAccepted = 10013 // CallPeerEvent
	CodeCallRejected = 10014 // CallPeerEvent
	CodeCallEnded    = 10015 // CallPeerEvent
	CodeCallFailed   = 10016 // CallTargetEvent
	CodeCallRinging  = 10017 // CallTargetEvent
	CodePresence     = 10018 // Presence: several presence changes of one tick
	CodeChatDeleted  = 10019 // ChatDeleted: an admin removed a message
	CodeRoomJoined   = 10020 // RoomJoined: you are in the room
	CodeRoomOther    = 10021 // RoomOtherJoined: someone joined your room
	CodeRoomFull     = 10022 // RoomFull: the room you tried to join is full
	CodeRoomLeft     = 10023 // RoomRef: you left the room
	CodeRoomBye      = 10024 // RoomBye: someone left your room
	CodeRoomMessage  = 10025 // RoomMessage: a text message in your room, not stored
	CodeLive         = 10030 // LiveInfo: a broadcast started, or its viewer count changed
	CodeLiveEnded    = 10031 // LiveRef: a broadcast ended
	CodeLiveViewer   = 10032 // LiveViewer: to the broadcaster, a viewer joined
	CodeLiveLeft     = 10033 // LiveViewerLeft: to the broadcaster, a viewer left
	CodeLiveFull     = 10034 // LiveFull: to a viewer turned away
	CodeLiveList     = 10035 // []LiveInfo: the broadcasts going on, after 10000
	CodePeerAway     = 10040 // PeerAway: a party's connection went; its place is kept for GraceSec
	CodePeerBack     = 10041 // PeerAway without GraceSec: that party came back within the grace
)

// Envelope types.
const (
	TypeSystem = 0
	TypeText   = 1 // chat messages and chat history
)

// User statuses shown to others. A user being rung is busy for new invites
// but still shows as online.
const (
	StatusOnline = "online"
	StatusInCall = "in_call"
	StatusInRoom = "in_room"
)

// Reasons in 10001 error envelopes, machine-readable.
const (
	ReasonBadJSON          = "bad_json"
	ReasonUnknownMethod    = "unknown_method"
	ReasonMissingField     = "missing_field"
	ReasonEmpty            = "empty"
	ReasonTooLong          = "too_long"
	ReasonControlChar      = "control_char" // chat with a control character other than newline and tab
	ReasonRateLimited      = "rate_limited"
	ReasonNotConnected     = "not_connected"     // a method before User/Connect
	ReasonAlreadyConnected = "already_connected" // a second User/Connect
	ReasonNotInCall        = "not_in_call"       // relay to someone not in a call with you
	ReasonAlreadyInCall    = "already_in_call"   // Call/Invite while in a call yourself
	ReasonUnknownCall      = "unknown_call"      // no such call of yours, or not in that state
	ReasonInternal         = "internal"          // the server failed; try again later
	ReasonBadRoom          = "bad_room"          // a room name other than letters, digits, _ and - (see RoomKey)
	ReasonAlreadyInRoom    = "already_in_room"   // Room/Join or Call/Invite while in a room
	ReasonNotInRoom        = "not_in_room"       // Room/Leave or Room/Message for a room you are not in
	ReasonBadTitle         = "bad_title"         // Live/Start title blank, too long or with a control character
	ReasonAlreadyLive      = "already_live"      // Live/Start, Live/Watch or Call/Invite while broadcasting
	ReasonNotLive          = "not_live"          // Live/Stop without a broadcast
	ReasonNoSuchLive       = "no_such_live"      // Live/Watch of a broadcast that is not going on
	ReasonAlreadyWatching  = "already_watching"  // Live/Start, Live/Watch or Call/Invite while watching
	ReasonNotWatching      = "not_watching"      // Live/Leave of a broadcast you are not watching
	ReasonBadStats         = "bad_stats"         // Call/Stats with a value out of range or an unknown path
	ReasonBadReason        = "bad_reason"        // Call/Hangup with a reason a page may not give
	ReasonUnavailable      = "unavailable"       // several nodes: the node cannot reach Redis, so it cannot decide this now
)

// Reasons in call events (10014, 10015, 10016) and in Call.EndReason.
const (
	CallRejected     = "rejected"
	CallHangup       = "hangup"
	CallCancelled    = "cancelled"
	CallDisconnected = "disconnected"
	CallTimeout      = "timeout"
	CallOffline      = "offline"
	CallBusy         = "busy"
	CallSelf         = "self"
	CallShutdown     = "shutdown" // stored only: the server stopped mid-call
	// CallMediaFailed: the page found no media path within the media
	// timeout and hung up with this reason (Call/Hangup data.reason).
	CallMediaFailed = "media_failed"
	// CallServerRestart is stored only: the server stopped without ending
	// the call (a crash, kill -9) and closed it when it started again.
	CallServerRestart = "server_restart"
)

// Websocket close codes the server uses.
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001 // server shutting down
	ClosePolicyViolation = 1008 // connect timeout, rate abuse, send queue full
	CloseTooBig          = 1009 // a message over the read limit
	CloseServiceRestart  = 1012 // server stopping to restart: reconnect at once and resume
	CloseKicked          = 4001 // account disabled or session revoked
	CloseReplaced        = 4002 // a newer connection of the same user
)

// ChatMaxRunes is the longest chat message, in Unicode code points.
const ChatMaxRunes = 2000

// Inbound is an envelope a client sends. Any fromId it carries is not
// decoded: the sender is always the session's user.
type Inbound struct {
	Method  string          `json:"method"`
	Type    int             `json:"type"`
	Message string          `json:"message"`
	ToID    uint64          `json:"toId"`
	Data    json.RawMessage `json:"data"`
}

// Outbound is an envelope the server sends.
type Outbound struct {
	Method  string `json:"method"`
	Type    int    `json:"type"`
	Message string `json:"message"`
	Code    int    `json:"code"`
	Data    any    `json:"data"`
}

// CallRef is the data of Call/Accept, Call/Reject and Call/Hangup.
// Reason is for Call/Hangup only: empty, or CallMediaFailed.
type CallRef struct {
	CallID string `json:"callId"`
	Reason string `json:"reason,omitempty"`
}

// ConnectIn is the optional data of User/Connect. Resume says the page
// still holds what its previous connection had (a peer connection, a
// room, a broadcast): a connection that replaces a live one then takes
// the call, seat or broadcast over instead of ending it.
type ConnectIn struct {
	Resume bool `json:"resume"`
}

// PeerAway is the data of 10040 (with GraceSec) and 10041 (without):
// about the call (CallID), the room (Room) or the broadcast (LiveID) you
// share with FromID, whose connection went or came back.
type PeerAway struct {
	CallID   string `json:"callId,omitempty"`
	Room     string `json:"room,omitempty"`
	LiveID   string `json:"liveId,omitempty"`
	FromID   uint64 `json:"fromId"`
	GraceSec int    `json:"graceSec,omitempty"`
}

// ResumedCall is the welcome's call: the accepted call the user had when
// its previous connection went, which it may carry on.
type ResumedCall struct {
	CallID    string    `json:"callId"`
	PeerID    uint64    `json:"peerId"`
	Peer      UserBrief `json:"peer"`
	StartedAt time.Time `json:"startedAt"`
}

// CallStats is the data of Call/Stats: what the page measured over the
// last interval. SetupMs (invite or incoming call to the first decoded
// frame) is sent once, when known.
type CallStats struct {
	CallID   string   `json:"callId"`
	RTTMs    float64  `json:"rttMs"`
	LossPct  float64  `json:"lossPct"`
	JitterMs float64  `json:"jitterMs"`
	KbpsIn   float64  `json:"kbpsIn"`
	KbpsOut  float64  `json:"kbpsOut"`
	Path     string   `json:"path"` // host, srflx, prflx or relay
	SetupMs  *float64 `json:"setupMs,omitempty"`
}

// ErrorData is the data of a 10001 envelope.
type ErrorData struct {
	Method string `json:"method"`
	Reason string `json:"reason"`
}

// ICEServer is one entry of RTCConfiguration.iceServers, in the shape the
// browser's RTCPeerConnection takes.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Welcome is the data of 10002.
type Welcome struct {
	User           UserView    `json:"user"`
	ICEServers     []ICEServer `json:"iceServers"`
	CallTimeoutSec int         `json:"callTimeoutSec"`
	// ResumeGraceSec is how long a call, seat or broadcast is kept for a
	// connection that went; MediaTimeoutSec how long a page tries to
	// restore a broken media path before it hangs up (media_failed).
	ResumeGraceSec  int `json:"resumeGraceSec"`
	MediaTimeoutSec int `json:"mediaTimeoutSec"`
	// Call is the call this user may carry on, when it comes back within
	// the grace; Live the broadcast it was sending.
	Call *ResumedCall `json:"call,omitempty"`
	Live *LiveInfo    `json:"live,omitempty"`
}

// OnlineUser is a user as the presence list shows them (10000, 10006).
type OnlineUser struct {
	ID       uint64 `json:"id"`
	Username string `json:"username"`
	Status   string `json:"status"`
}

// StatusChange is the data of 10007.
type StatusChange struct {
	ID     uint64 `json:"id"`
	Status string `json:"status"`
}

// Presence is the data of 10018: the presence changes of one tick, for
// a recipient who would otherwise get several 10006/10007/10008. Each list
// is present, empty or not; apply offline, then online, then status.
type Presence struct {
	Online  []OnlineUser   `json:"online"`
	Offline []uint64       `json:"offline"`
	Status  []StatusChange `json:"status"`
}

// UserOffline is the data of 10008.
type UserOffline struct {
	FromID uint64 `json:"fromId"`
}

// Relay is the data of 10009-10011: Data is passed on byte for byte.
type Relay struct {
	FromID uint64          `json:"fromId"`
	Data   json.RawMessage `json:"data"`
}

// UserBrief names a user in call events.
type UserBrief struct {
	ID       uint64 `json:"id"`
	Username string `json:"username"`
}

// IncomingCall is the data of 10012.
type IncomingCall struct {
	CallID string    `json:"callId"`
	FromID uint64    `json:"fromId"`
	User   UserBrief `json:"user"`
}

// CallPeerEvent is the data of 10013, 10014 and 10015: what the other
// party (FromID) did. Reason is empty for 10013.
type CallPeerEvent struct {
	CallID string `json:"callId"`
	FromID uint64 `json:"fromId"`
	Reason string `json:"reason,omitempty"`
}

// ChatDeleted is the data of 10019.
type ChatDeleted struct {
	ID uint64 `json:"id"`
}

// CallTargetEvent is the data of 10016 and 10017, about the invite the
// receiver sent to ToID. Reason is empty for 10017; CallID is empty for a
// 10016 that failed before the call existed (offline, busy, self).
type CallTargetEvent struct {
	CallID string `json:"callId"`
	ToID   uint64 `json:"toId"`
	Reason string `json:"reason,omitempty"`
}
