package dao

import (
	"context"
	"time"

	"gorm.io/gorm"

	"callapp/models"
)

// SetCallQuality stores the quality summary of a call, ended or not; a
// later summary of the same call replaces it. It returns ErrNotFound when
// no call has that id. Resumes is not touched: it is counted apart.
func (d *DAO) SetCallQuality(ctx context.Context, id string, q models.CallQuality) error {
	db, done := d.db.conn(ctx)
	defer done()
	res := db.Model(&models.Call{}).Where("id = ?", id).
		Select("StatsSamples", "RTTMedianMs", "RTTWorstMs", "LossWorstPct", "UsedRelay", "SetupMs").
		Updates(&models.Call{StatsSamples: q.Samples, RTTMedianMs: q.RTTMedianMs, RTTWorstMs: q.RTTWorstMs,
			LossWorstPct: q.LossWorstPct, UsedRelay: q.UsedRelay, SetupMs: q.SetupMs})
	if res.Error == nil && res.RowsAffected == 0 {
		// MySQL counts changed rows only: the same summary written twice
		// (a retry whose answer was lost) matches but changes nothing.
		var n int64
		if err := db.Model(&models.Call{}).Where("id = ?", id).Count(&n).Error; err != nil || n > 0 {
			return wrap("set call quality", err)
		}
	}
	return affectedOne("set call quality", res.Error, res.RowsAffected)
}

// qualityCounts is the row QualitySummary's aggregate reads.
type qualityCounts struct {
	Answered, Relayed, Failed, Resumed int64
}

// QualitySummary sums up the quality of the calls invited since since
// that were answered and have ended (a call's quality is written at its
// end), for the admin dashboard.
func (d *DAO) QualitySummary(ctx context.Context, since time.Time) (models.QualitySummary, error) {
	since = dbTime(since)
	out := models.QualitySummary{Since: since}
	db, done := d.db.conn(ctx)
	defer done()
	calls := func() *gorm.DB {
		return db.Model(&models.Call{}).
			Where("invited_at >= ? AND answered_at IS NOT NULL AND ended_at IS NOT NULL", since)
	}
	var n qualityCounts
	err := calls().Select(`COUNT(*) AS answered,
		COALESCE(SUM(CASE WHEN used_relay = ? THEN 1 ELSE 0 END), 0) AS relayed,
		COALESCE(SUM(CASE WHEN end_reason = ? AND setup_ms IS NULL THEN 1 ELSE 0 END), 0) AS failed,
		COALESCE(SUM(CASE WHEN resumes > 0 THEN 1 ELSE 0 END), 0) AS resumed`,
		true, models.CallMediaFailed).Scan(&n).Error
	if err != nil {
		return out, wrap("quality summary", err)
	}
	out.Answered, out.Relayed, out.Failed, out.Resumed = n.Answered, n.Relayed, n.Failed, n.Resumed
	if n.Answered > 0 {
		total := float64(n.Answered)
		out.RelayShare, out.FailedShare, out.ResumedShare = float64(n.Relayed)/total, float64(n.Failed)/total, float64(n.Resumed)/total
	}
	out.SetupMedianMs, err = setupMedian(calls)
	return out, wrap("quality summary: median set-up", err)
}

// setupMedian returns the median set-up time of the calls, nil when none
// reported one. Only the one or two middle values are read, so that a busy
// day costs two small queries rather than every row.
func setupMedian(calls func() *gorm.DB) (*float64, error) {
	var n int64
	if err := calls().Where("setup_ms IS NOT NULL").Count(&n).Error; err != nil || n == 0 {
		return nil, err
	}
	var mid []float64
	err := calls().Where("setup_ms IS NOT NULL").Order("setup_ms").
		Offset(int((n-1)/2)).Limit(int(2-n%2)).Pluck("setup_ms", &mid).Error
	if err != nil || len(mid) == 0 {
		return nil, err
	}
	var sum float64
	for _, v := range mid {
		sum += v
	}
	median := sum / float64(len(mid))
	return &median, nil
}
