package i18n_test

import (
	"net/http/httptest"
	"os"
	"testing"
	"testing/fstest"

	"callapp/controllers/i18n"
)

// TestTablesAgree loads the shipped tables: every language has every key
// of English and no other, and each is valid JSON.
func TestTablesAgree(t *testing.T) {
	c, err := i18n.Load(os.DirFS("../../static"), "i18n")
	if err != nil {
		t.Fatal(err)
	}
	if tags := c.Tags(); len(tags) < 2 || tags[0] != i18n.Default {
		t.Fatalf("tags %v, want English first and at least one more", tags)
	}
}

func TestLoadRefusesAnIncompleteTable(t *testing.T) {
	fsys := fstest.MapFS{
		"i18n/en.json": {Data: []byte(`{"a":"A","b":"B"}`)},
		"i18n/fr.json": {Data: []byte(`{"a":"A"}`)},
	}
	if _, err := i18n.Load(fsys, "i18n"); err == nil {
		t.Fatal("a table without key b loaded")
	}
	fsys["i18n/fr.json"] = &fstest.MapFile{Data: []byte(`{"a":"A","b":"B","c":"C"}`)}
	if _, err := i18n.Load(fsys, "i18n"); err == nil {
		t.Fatal("a table with a key English lacks loaded")
	}
}

func TestPick(t *testing.T) {
	c, err := i18n.Load(fstest.MapFS{
		"i18n/en.json":    {Data: []byte(`{"hi":"Hello {name}"}`)},
		"i18n/zh-CN.json": {Data: []byte(`{"hi":"你好 {name}"}`)},
	}, "i18n")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ cookie, accept, want string }{
		{"", "", "en"},
		{"", "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"},
		{"", "zh", "zh-CN"},
		{"", "de-DE,en;q=0.5", "en"},
		{"", "fr", "en"},
		{"", "not a header;;", "en"},
		{"en", "zh-CN", "en"},
		{"zh-CN", "en", "zh-CN"},
		{"xx", "zh-CN", "zh-CN"}, // a cookie naming no table is ignored
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if tc.cookie != "" {
			r.Header.Set("Cookie", i18n.Cookie+"="+tc.cookie)
		}
		if got := c.Pick(r); got != tc.want {
			t.Errorf("cookie %q, Accept-Language %q: %q, want %q", tc.cookie, tc.accept, got, tc.want)
		}
	}
	if got := c.T("zh-CN", "hi", "name", "小明"); got != "你好 小明" {
		t.Errorf("T = %q", got)
	}
	if got := c.T("zh-CN", "missing"); got != "missing" {
		t.Errorf("T of a missing key = %q", got)
	}
}
