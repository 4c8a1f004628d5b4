package models

import "time"

// Call is the record of one invite that rang: who called whom, when it was
// answered and ended, and how. ID is the callId the hub made, so a row can
// be matched with the signaling that produced it.
type Call struct {
	ID         string     `gorm:"primaryKey;size:32"`
	CallerID   uint64     `gorm:"not null;index"`
	CalleeID   uint64     `gorm:"not null;index"`
	InvitedAt  time.Time  `gorm:"not null;index"`
	AnsweredAt *time.Time // nil: never answered
	EndedAt    *time.Time // nil: still ringing or going on
	EndReason  string     `gorm:"size:16;not null;default:''"` // a Call* reason constant

	// AliveAt is the last time the server knew the call to be going on:
	// its invite, its answer, then the hub's heartbeat. A call a crash
	// left open is closed at AliveAt when the server starts again.
	AliveAt *time.Time

	// Resumes counts the times a party came back within the resume grace.
	Resumes int `gorm:"not null;default:0"`

	// Quality, from the parties' Call/Stats: how many samples, the median
	// and worst round trip, the worst loss, whether a relay carried the
	// media, and the set-up time (invite to first frame) a page reported.
	StatsSamples int `gorm:"not null;default:0"`
	RTTMedianMs  *float64
	RTTWorstMs   *float64
	LossWorstPct *float64
	UsedRelay    bool `gorm:"not null;default:false"`
	SetupMs      *float64
}

// View returns the call as the history pages show it.
func (c *Call) View() CallView {
	v := CallView{
		ID: c.ID, CallerID: c.CallerID, CalleeID: c.CalleeID, InvitedAt: c.InvitedAt,
		AnsweredAt: c.AnsweredAt, EndedAt: c.EndedAt, EndReason: c.EndReason,
	}
	if c.AnsweredAt != nil && c.EndedAt != nil {
		v.DurationSec = int64(c.EndedAt.Sub(*c.AnsweredAt) / time.Second)
	}
	return v
}

// CallView is the JSON shape of a call record. DurationSec counts from the
// answer to the end, and is 0 for calls never answered or still going on.
type CallView struct {
	ID          string     `json:"id"`
	CallerID    uint64     `json:"callerId"`
	CalleeID    uint64     `json:"calleeId"`
	InvitedAt   time.Time  `json:"invitedAt"`
	AnsweredAt  *time.Time `json:"answeredAt"`
	EndedAt     *time.Time `json:"endedAt"`
	EndReason   string     `json:"endReason"`
	DurationSec int64      `json:"durationSec"`
}
