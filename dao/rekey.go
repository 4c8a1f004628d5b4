package dao

import (
	"context"
	"errors"
	"log/slog"

	"gorm.io/gorm"

	"callapp/models"
)

// rekeyUsers brings every stored username key up to date with
// models.NormalizeUsername, so that a stricter rule (PRECIS width mapping)
// also covers accounts made before it. It runs at every start and changes
// nothing once the keys agree. Accounts it cannot fix are left as they are
// and logged for the operator: look-alikes made before the rule.
func rekeyUsers(ctx context.Context, db *gorm.DB, log *slog.Logger) error {
	var batch []models.User
	res := db.WithContext(ctx).Select("id", "username", "username_key").
		FindInBatches(&batch, bulkBatch, func(*gorm.DB, int) error {
			for i := range batch {
				if err := rekeyUser(ctx, db, log, &batch[i]); err != nil {
					return err
				}
			}
			return nil
		})
	return wrap("rekey users", res.Error)
}

// rekeyUser stores u's current key. A key another account holds already
// stays unset: u then looks like that account, and its name logs in as the
// other one from now on.
func rekeyUser(ctx context.Context, db *gorm.DB, log *slog.Logger, u *models.User) error {
	if err := models.ValidateUsername(models.CleanUsername(u.Username)); err != nil {
		log.Warn("dao: account made before the username rule breaks it; disable it if it imitates someone",
			"id", u.ID, "username", u.Username, "rule", err.Error())
	}
	key := models.NormalizeUsername(u.Username)
	if key == u.UsernameKey {
		return nil
	}
	err := db.WithContext(ctx).Model(&models.User{}).Where("id = ?", u.ID).Update("username_key", key).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		log.Warn("dao: account made before the username rule looks like another; it can no longer log in",
			"id", u.ID, "username", u.Username)
		return nil
	}
	return err
}
