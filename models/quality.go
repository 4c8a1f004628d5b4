package models

import "time"

// CallQuality is a call's quality as the hub summed up its parties'
// Call/Stats: how many samples, the median and worst round trip, the worst
// loss, whether a relay carried the media, and the smallest set-up time
// (invite to first frame) a page reported. A nil figure was never reported.
type CallQuality struct {
	Samples      int      `json:"samples"`
	RTTMedianMs  *float64 `json:"rttMedianMs"`
	RTTWorstMs   *float64 `json:"rttWorstMs"`
	LossWorstPct *float64 `json:"lossWorstPct"`
	UsedRelay    bool     `json:"usedRelay"`
	SetupMs      *float64 `json:"setupMs"`
}

// Quality returns the call's stored quality summary.
func (c *Call) Quality() CallQuality {
	return CallQuality{
		Samples: c.StatsSamples, RTTMedianMs: c.RTTMedianMs, RTTWorstMs: c.RTTWorstMs,
		LossWorstPct: c.LossWorstPct, UsedRelay: c.UsedRelay, SetupMs: c.SetupMs,
	}
}

// QualitySummary is the quality of the calls answered and ended since
// Since, for the admin dashboard: how many there were, and how many of
// them went through the relay, failed to connect (ended media_failed
// before any frame: no set-up time), or resumed after a dropped
// connection; the shares are of Answered, 0 when there were none.
// SetupMedianMs is the median set-up time of those that reported one.
type QualitySummary struct {
	Since         time.Time `json:"since"`
	Answered      int64     `json:"answered"`
	Relayed       int64     `json:"relayed"`
	Failed        int64     `json:"failed"`
	Resumed       int64     `json:"resumed"`
	RelayShare    float64   `json:"relayShare"`
	FailedShare   float64   `json:"failedShare"`
	ResumedShare  float64   `json:"resumedShare"`
	SetupMedianMs *float64  `json:"setupMedianMs"`
}
