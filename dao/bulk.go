package dao

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"callapp/models"
)

// bulkBatch is how many rows one INSERT or IN (...) carries: well under
// SQLite's 32766 host parameters and MySQL's max_allowed_packet.
const bulkBatch = 500

// EnsureUsers makes sure a plain user exists for each name, with hash as
// the password hash of those it creates, and returns all of them in the
// order of names. Existing accounts are left untouched (role, password,
// disabled). It is for seeding many test accounts, as the load tool does:
// one bcrypt for all instead of one per account, and batched inserts. Names
// must pass models.ValidateUsername; hash must be a bcrypt hash.
func (d *DAO) EnsureUsers(ctx context.Context, names []string, hash []byte) ([]models.User, error) {
	if len(names) == 0 {
		return []models.User{}, nil
	}
	rows := make([]models.User, len(names))
	keys := make([]string, len(names))
	for i, name := range names {
		name = models.CleanUsername(name)
		if err := models.ValidateUsername(name); err != nil {
			return nil, wrap("ensure users", fmt.Errorf("%q: %w", name, err))
		}
		keys[i] = models.NormalizeUsername(name)
		rows[i] = models.User{Username: name, UsernameKey: keys[i], PasswordHash: hash, Role: models.RoleUser}
	}
	byKey := make(map[string]models.User, len(names))
	err := d.db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A name that exists already is skipped, not an error: reruns reuse
		// the accounts of the run before.
		err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, bulkBatch).Error
		if err != nil {
			return err
		}
		for start := 0; start < len(keys); start += bulkBatch {
			var found []models.User
			batch := keys[start:min(start+bulkBatch, len(keys))]
			if err := tx.Where("username_key IN ?", batch).Find(&found).Error; err != nil {
				return err
			}
			for _, u := range found {
				byKey[u.UsernameKey] = u
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("ensure users", err)
	}
	users := make([]models.User, len(keys))
	for i, key := range keys {
		u, ok := byKey[key]
		if !ok {
			return nil, wrap("ensure users", fmt.Errorf("%q: %w", names[i], ErrNotFound))
		}
		users[i] = u
	}
	return users, nil
}
