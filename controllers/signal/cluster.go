package signal

import (
	"context"
	"time"
)

// Cluster joins the hubs of several nodes into one. The hubs replicate one
// state machine: every change to the state that crosses users (who is
// online and where, calls, rooms, broadcasts, chat) is an entry in one
// shared log, which every node applies in the same order to its own copy
// of that state. Every node therefore reaches the same decisions (one of
// two racing invites rings, the last seat of a room goes to one), and
// each delivers what they say to the users connected to it. Media
// signaling between two users who already share a call does not go
// through the log: it goes straight to the node of the receiver (Send).
//
// controllers/cluster implements it on Redis. A nil Cluster is one node,
// all in memory.
type Cluster interface {
	// Node is this process's id, unique among the processes that ever
	// joined the log: a restarted node is a new node.
	Node() string
	// Name is the node's name for people (NODE_ID).
	Name() string
	// Start joins the cluster and starts feeding in: every entry of the
	// log from its beginning, then every new one, each once and in order,
	// and the frames sent to this node. fresh reports that this node began
	// the log (no node was running before it).
	Start(in Inbound) (fresh bool, err error)
	// Append adds an entry to the log and returns its position once the
	// log holds it; any goroutine but the hub's loop may call it. It fails
	// at once while the log is unreachable.
	Append(ctx context.Context, entry []byte) (Pos, error)
	// Send hands a frame to node's Inbound.Frame, without waiting; false
	// when it is dropped (the node's queue is full or the log unreachable).
	Send(node string, frame []byte) bool
	// Health says whether the log is reachable, since when, and why not.
	Health() Health
	// Nodes lists the live nodes and what they last reported.
	Nodes(ctx context.Context) ([]NodeStats, error)
	// Stop leaves the cluster: this node's liveness is removed and it
	// reads no more. The hub appends its leaving before.
	Stop(ctx context.Context)
}

// Pos is a position in the log. Life changes when the log is lost (its
// Redis restarted empty) and begins again.
type Pos struct {
	Life uint64
	Seq  uint64
}

// Inbound is what a Cluster feeds: the hub's side of it. Apply and NewLife
// are called from one goroutine, in log order; the others may be called
// from other goroutines.
type Inbound interface {
	// Apply applies the entry at p; p.Seq follows the previous one's by 1
	// within a life.
	Apply(p Pos, origin string, entry []byte)
	// Frame is a frame another node sent this one.
	Frame(frame []byte)
	// NewLife says the log was lost and begins again at life: entries
	// appended before may not have reached every node.
	NewLife(life uint64)
	// NodeGone says node stopped beating: the hub appends its departure
	// (every node may do so; applying it twice changes nothing). The
	// cluster forgets the node once it returns nil.
	NodeGone(node string) error
	// HealthChanged reports that Health changed.
	HealthChanged(h Health)
	// Stats is what this node reports to the others; called off the loop.
	Stats() NodeStats
	// Snapshot is the state as of the last entry applied, at, for nodes
	// that join once the entries up to at are trimmed from the log.
	Snapshot() (at Pos, state []byte)
	// Load starts a node that has applied nothing from a snapshot taken
	// at at; the entries after at follow.
	Load(at Pos, state []byte) error
}

// Health is the cluster's view of its log.
type Health struct {
	Up     bool
	Since  time.Time // of the current state
	Reason string    // why it is down
}

// NodeStats is one node's figures, as it last reported them.
type NodeStats struct {
	Node     string    `json:"node"` // Cluster.Node
	Name     string    `json:"name"` // Cluster.Name
	Started  time.Time `json:"started"`
	Reported time.Time `json:"reported"`
	Conns    int64     `json:"conns"`   // open websockets
	Online   int64     `json:"online"`  // users connected to this node
	Calls    int64     `json:"calls"`   // calls this node records: the cluster's calls are the sum
	MsgsIn   uint64    `json:"msgsIn"`  // messages read
	MsgsOut  uint64    `json:"msgsOut"` // messages written
	Relayed  uint64    `json:"relayed"` // offers, answers and candidates passed on
	Dropped  uint64    `json:"dropped"` // frames to other nodes dropped
	Applied  uint64    `json:"applied"` // the seq of the last entry of the log it applied
}
