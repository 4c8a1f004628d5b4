// Package i18n holds the pages' words: one table per language, read from
// static/i18n/<tag>.json, where the pages' scripts read the same tables.
// A language is chosen per request from the "lang" cookie (set by the
// switcher on every page), else from Accept-Language, else English.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// Cookie is the cookie that remembers a chosen language.
const Cookie = "lang"

// Default is the language of pages whose reader asked for none we have.
const Default = "en"

// Catalog is the tables of every language.
type Catalog struct {
	tags    []string // Default first, then by tag
	tables  map[string]map[string]string
	matcher language.Matcher
}

// Load reads every <tag>.json in dir of fsys. Every table must hold the
// keys of the Default one, so that a page never shows a key.
func Load(fsys fs.FS, dir string) (*Catalog, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	c := &Catalog{tables: map[string]map[string]string{}}
	for _, name := range names {
		tag := strings.TrimSuffix(path.Base(name), ".json")
		if _, err := language.Parse(tag); err != nil {
			return nil, fmt.Errorf("i18n: %s: not a language tag: %w", name, err)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		var table map[string]string
		if err := json.Unmarshal(b, &table); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		c.tables[tag] = table
		c.tags = append(c.tags, tag)
	}
	base, ok := c.tables[Default]
	if !ok {
		return nil, fmt.Errorf("i18n: no %s.json in %s", Default, dir)
	}
	for tag, table := range c.tables {
		for key := range base {
			if _, ok := table[key]; !ok {
				return nil, fmt.Errorf("i18n: %s.json lacks %q", tag, key)
			}
		}
		for key := range table {
			if _, ok := base[key]; !ok {
				return nil, fmt.Errorf("i18n: %s.json has %q, which %s.json lacks", tag, key, Default)
			}
		}
	}
	slices.SortFunc(c.tags, func(a, b string) int {
		switch {
		case a == Default:
			return -1
		case b == Default:
			return 1
		}
		return strings.Compare(a, b)
	})
	supported := make([]language.Tag, len(c.tags))
	for i, tag := range c.tags {
		supported[i] = language.MustParse(tag)
	}
	c.matcher = language.NewMatcher(supported)
	return c, nil
}

// Tags are the languages there are tables of, Default first.
func (c *Catalog) Tags() []string { return c.tags }

// Pick is the language of r's reader: the cookie's if there is a table of
// it, else the best match of Accept-Language, else Default.
func (c *Catalog) Pick(r *http.Request) string {
	if ck, err := r.Cookie(Cookie); err == nil {
		if _, ok := c.tables[ck.Value]; ok {
			return ck.Value
		}
	}
	want, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(want) == 0 {
		return Default
	}
	_, i, conf := c.matcher.Match(want...)
	if conf == language.No {
		return Default
	}
	return c.tags[i]
}

// T is key's words in lang, with each {name} replaced by the value after
// it in args (name, value, name, value...). A missing key reads as itself,
// which the tests of the tables catch.
func (c *Catalog) T(lang, key string, args ...string) string {
	s, ok := c.tables[lang][key]
	if !ok {
		if s, ok = c.tables[Default][key]; !ok {
			return key
		}
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}

// Name is lang's name in itself, as the language switcher lists it.
func (c *Catalog) Name(lang string) string { return c.T(lang, "lang.name") }
