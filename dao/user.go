package dao

import (
	"context"
	"errors"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"callapp/dao/password"
	"callapp/models"
)

// ErrBadCredentials means the username is unknown or the password is wrong;
// callers cannot tell which.
var ErrBadCredentials = errors.New("dao: bad credentials")

// ErrDisabled means the account exists, the password matched, and an admin
// disabled it.
var ErrDisabled = errors.New("dao: account disabled")

// ErrBusy means too many logins and registrations already wait to hash a
// password; the caller is turned away at once and may try again shortly.
var ErrBusy = password.ErrBusy

// Accounts creates and checks users; passwords go in and never come out.
type Accounts struct {
	db     timedDB
	hasher *password.Hasher
	admins []string // normalized usernames that become admin; empty: the first user
}

// NewAccounts returns the account store. adminUsernames, when not empty,
// lists who becomes admin at registration instead of the first user.
func NewAccounts(d *DAO, h *password.Hasher, adminUsernames []string) *Accounts {
	a := &Accounts{db: d.db, hasher: h}
	for _, name := range adminUsernames {
		a.admins = append(a.admins, models.NormalizeUsername(name))
	}
	return a
}

// CreateUser registers a user with validated credentials. The role is
// admin for a configured admin username, or for the first account when
// none are configured. A taken name returns ErrDuplicate.
func (a *Accounts) CreateUser(ctx context.Context, cred models.Credentials) (*models.User, error) {
	return a.CreateUserWithSession(ctx, cred, nil)
}

// CreateUserWithSession is CreateUser that also stores first, a session
// from Sessions.Prepare, for the new user in the same transaction: an
// account whose first session cannot be stored is not created either.
func (a *Accounts) CreateUserWithSession(ctx context.Context, cred models.Credentials, first *models.Session) (*models.User, error) {
	hash, err := a.hasher.Hash(ctx, cred.Password)
	if err != nil {
		return nil, wrap("create user", err)
	}
	u := &models.User{
		Username:     cred.Username,
		UsernameKey:  models.NormalizeUsername(cred.Username),
		PasswordHash: hash,
	}
	if first != nil {
		u.LastLoginAt = &first.CreatedAt // registering is the first login
	}
	db, done := a.db.conn(ctx)
	defer done()
	err = retryDeadlock(func() error {
		return db.Transaction(func(tx *gorm.DB) error { return a.insertUser(tx, u, first) })
	})
	if err != nil {
		return nil, wrap("create user", err)
	}
	return u, nil
}

// insertUser stores u, with its role decided now, and first, if any, as
// its session. It starts afresh when retried after a deadlock.
func (a *Accounts) insertUser(tx *gorm.DB, u *models.User, first *models.Session) error {
	isAdmin, err := a.becomesAdmin(tx, u.UsernameKey)
	if err != nil {
		return err
	}
	u.ID, u.Role = 0, models.RoleUser
	if isAdmin {
		u.Role = models.RoleAdmin
	}
	if err := tx.Create(u).Error; err != nil || first == nil {
		return err
	}
	first.ID, first.UserID = 0, u.ID
	return tx.Create(first).Error
}

func (a *Accounts) becomesAdmin(tx *gorm.DB, key string) (bool, error) {
	if len(a.admins) > 0 {
		return slices.Contains(a.admins, key), nil
	}
	q := tx.Model(&models.User{})
	if isMySQL(tx) {
		// Lock the index range so two first registrations cannot both see
		// an empty table. On an empty table InnoDB takes only gap locks,
		// which concurrent inserts turn into a deadlock: the loser is
		// retried by CreateUser and then sees the winner's row. SQLite's
		// single connection already serializes.
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var ids []uint64
	if err := q.Limit(1).Pluck("id", &ids).Error; err != nil {
		return false, err
	}
	return len(ids) == 0, nil
}

// CheckPassword returns the user whose credentials these are. It takes as long for an unknown user as for a known one.
func (a *Accounts) CheckPassword(ctx context.Context, username, pw string) (*models.User, error) {
	u, err := userByName(ctx, a.db, username)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	var hash []byte
	if u != nil {
		hash = u.PasswordHash
	}
	if err := a.hasher.Compare(ctx, hash, pw); err != nil {
		if errors.Is(err, password.ErrMismatch) {
			return nil, ErrBadCredentials
		}
		return nil, wrap("check password", err)
	}
	if u.Disabled {
		return nil, ErrDisabled
	}
	return u, nil
}

// UserByName finds a user by any case or normalization of the name.
func (d *DAO) UserByName(ctx context.Context, username string) (*models.User, error) {
	return userByName(ctx, d.db, username)
}

func userByName(ctx context.Context, t timedDB, username string) (*models.User, error) {
	var u models.User
	db, done := t.conn(ctx)
	defer done()
	err := db.Where("username_key = ?", models.NormalizeUsername(username)).Take(&u).Error
	if err != nil {
		return nil, wrap("user by name", err)
	}
	return &u, nil
}

// UserByID finds a user by id.
func (d *DAO) UserByID(ctx context.Context, id uint64) (*models.User, error) {
	var u models.User
	db, done := d.db.conn(ctx)
	defer done()
	if err := db.Take(&u, id).Error; err != nil {
		return nil, wrap("user by id", err)
	}
	return &u, nil
}

// UserPage is one page of the admin's user list.
type UserPage struct {
	Users []models.AdminUserView `json:"users"`
	Total int64                  `json:"total"`
}

// ListUsers returns users whose name contains query (any case), by id, for
// the admin dashboard.
func (d *DAO) ListUsers(ctx context.Context, query string, offset, limit int) (*UserPage, error) {
	db, done := d.db.conn(ctx)
	defer done()
	q := db.Model(&models.User{})
	if key := models.NormalizeUsername(query); key != "" {
		q = q.Where("username_key LIKE ? ESCAPE '!'", "%"+escapeLike(key)+"%")
	}
	var page UserPage
	if err := q.Count(&page.Total).Error; err != nil {
		return nil, wrap("list users", err)
	}
	var users []models.User
	if err := q.Order("id").Offset(offset).Limit(limit).Find(&users).Error; err != nil {
		return nil, wrap("list users", err)
	}
	page.Users = make([]models.AdminUserView, len(users))
	for i := range users {
		page.Users[i] = users[i].AdminView()
	}
	return &page, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// SetDisabled enables or disables a user; disabling also ends every one of
// their sessions in the same transaction.
func (d *DAO) SetDisabled(ctx context.Context, id uint64, disabled bool) error {
	db, done := d.db.conn(ctx)
	defer done()
	err := db.Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&models.User{}).Where("id = ?", id).Update("disabled", disabled)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			if err := tx.Take(&models.User{}, id).Error; err != nil {
				return err
			}
		}
		if !disabled {
			return nil
		}
		return tx.Where("user_id = ?", id).Delete(&models.Session{}).Error
	})
	return wrap("set disabled", err)
}

// SetRole makes a user an admin or a plain user.
func (d *DAO) SetRole(ctx context.Context, id uint64, role string) error {
	if role != models.RoleAdmin && role != models.RoleUser {
		return wrap("set role", errors.New("unknown role "+role))
	}
	db, done := d.db.conn(ctx)
	defer done()
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Take(&models.User{}, id).Error; err != nil {
			return err
		}
		return tx.Model(&models.User{}).Where("id = ?", id).Update("role", role).Error
	})
	return wrap("set role", err)
}

// UsernamesByID maps each of ids to its username, for lists that show
// people by name.
func (d *DAO) UsernamesByID(ctx context.Context, ids []uint64) (map[uint64]string, error) {
	names := make(map[uint64]string, len(ids))
	if len(ids) == 0 {
		return names, nil
	}
	var rows []models.User
	db, done := d.db.conn(ctx)
	defer done()
	if err := db.Select("id", "username").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, wrap("usernames", err)
	}
	for _, u := range rows {
		names[u.ID] = u.Username
	}
	return names, nil
}

// DisabledUserIDs returns the ids of the disabled accounts, in order, for
// the TURN server, which refuses them relays.
func (d *DAO) DisabledUserIDs(ctx context.Context) ([]uint64, error) {
	ids := []uint64{}
	err := d.db.gorm.WithContext(ctx).Model(&models.User{}).Where("disabled = ?", true).Order("id").Pluck("id", &ids).Error
	return ids, wrap("disabled users", err)
}
