package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"callapp/dao"
	"callapp/models"
)

// TestE2EChinese reads the pages as a reader whose browser asks for
// Simplified Chinese: the language comes from Accept-Language until the
// switcher chooses another, which a cookie remembers; the home, room and
// live pages say their words in Chinese, show no key of the tables, and
// write dates the Chinese way.
func TestE2EChinese(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	db := filepath.Join(t.TempDir(), "callapp.db")
	app := startApp(t, e2eEnv("CALLAPP_DB_DSN="+db)...)

	mei := newPage(t, browser, app, "mei")
	mei.run(5*time.Second, "ask for Chinese", network.SetExtraHTTPHeaders(network.Headers{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}))
	mei.navigate("/webrtc/login")
	mei.waitLang("zh-CN", "简体中文")
	mei.waitFor(20*time.Second, "the Chinese title", `document.title.startsWith('登录')`)

	// English through the switcher, remembered over Accept-Language.
	mei.chooseLang("en")
	mei.waitLang("en", "English")
	mei.navigate("/webrtc/register")
	mei.waitLang("en", "English")
	mei.waitFor(20*time.Second, "the English title", `document.title.startsWith('Register')`)
	mei.chooseLang("zh-CN")
	mei.waitLang("zh-CN", "简体中文")

	// lei reads English (no header, no cookie) and is who mei sees online.
	lei := newPage(t, browser, app, "lei")
	lei.register(e2ePassword)
	lei.waitFor(20*time.Second, "an English page", `document.documentElement.lang === 'en' && document.querySelector('#conn').textContent === 'online'`)
	mei.register(e2ePassword)
	addCalls(t, db, "mei", "lei")
	mei.navigate("/webrtc/in")
	mei.waitConnected()
	mei.waitFor(20*time.Second, "lei online and both calls in the history",
		`!!document.querySelector('#users li[data-user="lei"]') && document.querySelectorAll('#history li .name').length === 2`)

	mei.expectWords(map[string]string{
		"#conn":                                "在线",
		".idle-title":                          "可以开始通话了",
		"#new-room":                            "新建房间",
		"#join-room":                           "加入房间",
		`#users li[data-user="lei"] .status`:   "在线",
		`#users li[data-user="lei"] .call-btn`: "呼叫",
		"#lives .empty":                        "暂时没有人在直播。",
		"#go-live":                             "开始直播",
		"#logout":                              "退出登录",
	}, "Ready to call", "Pick someone", "New room", "Join room", "room name", "Online", "Nobody", "Live now",
		"Go live", "Broadcast title", "Recent calls", "No calls yet", "Log out", "watching", "minutes ago")
	// The history: an old call dated the Chinese way with its length, a
	// recent one said relative to now.
	mei.waitFor(20*time.Second, "the history's dates in Chinese", `(() => {
	  const when = [...document.querySelectorAll('#history li')].map((li) => li.querySelector('.when').textContent.trim());
	  return /^2025年3月4日\s*09:05$/.test(when[1]) && when[0] === '5 分钟前'
	    && document.querySelectorAll('#history li')[1].textContent.includes('1:05');
	})()`)
	mei.screenshot("home-zh-CN")

	mei.navigate("/webrtc/room/i18n-test")
	mei.waitFor(20*time.Second, "the room waiting, in Chinese",
		`document.querySelector('#room-state')?.dataset.state === 'waiting' && document.querySelector('#room-state').textContent === '正在等待其他人加入。'`)
	mei.expectWords(map[string]string{
		"#conn":               "在线",
		".room-name":          "房间 i18n-test",
		".tile-me figcaption": "mei（你）",
		"#copy-link":          "复制链接",
		"#mute":               "静音",
		"#camera":             "关闭摄像头",
		"#leave":              "离开",
		".chat h2":            "房间消息",
		"#room-log .empty":    "这里的消息只发给房间里的人，不会保存。",
		"#room-send":          "发送",
	}, "Room", "(you)", "Copy link", "Mute", "Camera", "Leave", "Messages", "Send", "Waiting")
	mei.click("#mute")
	mei.waitFor(20*time.Second, "muted, in Chinese",
		`document.querySelector('#mute').textContent.trim() === '取消静音' && document.querySelector('.tile-me figcaption').textContent.includes('已静音')`)
	mei.screenshot("room-zh-CN")

	mei.navigate("/webrtc/live/no-such-live")
	mei.waitFor(20*time.Second, "the unknown broadcast, in Chinese",
		`document.querySelector('#live-state')?.dataset.phase === 'over' && document.querySelector('#live-state').textContent.trim() === '没有这场直播：它可能已经结束了。'`)
	mei.expectWords(map[string]string{".brand": "Callapp 直播", "#leave": "返回主页"}, "Back home", "Leave", "There is no")

	// The switcher of a page its app mounted works as well.
	mei.chooseLang("en")
	mei.waitLang("en", "English")
	mei.waitFor(20*time.Second, "the live page in English", `document.querySelector('#leave')?.textContent.trim() === 'Back home'`)
}

// waitLang waits for the page to be in lang, with the switcher showing name.
func (p *page) waitLang(lang, name string) {
	p.t.Helper()
	p.waitFor(20*time.Second, fmt.Sprintf("a page in %s, its switcher on %s", lang, name), fmt.Sprintf(
		`document.readyState === 'complete' && document.documentElement.lang === %q && document.querySelector('#lang')?.selectedOptions[0]?.textContent === %q`, lang, name))
}

// chooseLang picks lang in the page's switcher, as a reader's change does:
// once the page shows it (mounted, no v-cloak left).
func (p *page) chooseLang(lang string) {
	p.t.Helper()
	p.waitFor(20*time.Second, "the switcher on screen", `!document.querySelector('[v-cloak]') && !!document.querySelector('#lang')?.getClientRects().length`)
	p.run(5*time.Second, "choose "+lang, chromedp.Evaluate(fmt.Sprintf(
		`(s => { s.value = %q; s.dispatchEvent(new Event('change', { bubbles: true })); return true; })(document.querySelector('#lang'))`, lang), nil))
}

// expectWords checks that each selector's element reads its words, that
// none of the English words is left on the page (text, placeholders and
// labels), and that no key of the tables shows in place of words: a word
// shaped like section.name whose section is one of the tables'.
func (p *page) expectWords(want map[string]string, english ...string) {
	p.t.Helper()
	var got map[string]string
	sels := make([]string, 0, len(want))
	for sel := range want {
		sels = append(sels, sel)
	}
	list, _ := json.Marshal(sels)
	js := fmt.Sprintf(`Object.fromEntries(%s.map((s) => [s, document.querySelector(s)?.textContent.trim().replace(/\s+/g, ' ') ?? '(missing)']))`, list)
	if err := p.eval(js, &got); err != nil {
		p.t.Fatalf("%s: reading the page's words: %v", p.name, err)
	}
	for sel, w := range want {
		if got[sel] != w {
			p.t.Errorf("%s: %s reads %q, want %q", p.name, sel, got[sel], w)
		}
	}
	var shown struct {
		Text string   `json:"text"`
		Keys []string `json:"keys"`
	}
	const shownJS = `(async () => {
	  const attrs = [...document.querySelectorAll('[placeholder], [aria-label], [title]')]
	    .flatMap((e) => [e.placeholder, e.getAttribute('aria-label'), e.title]).filter(Boolean);
	  const text = [document.body.innerText, ...attrs].join('\n');
	  const table = await (await fetch('/webrtc/static/i18n/en.json')).json();
	  const sections = new Set(Object.keys(table).map((k) => k.split('.')[0]));
	  const keys = (text.match(/\b[a-z][a-z0-9]*(\.[A-Za-z0-9_]+)+\b/g) || []).filter((w) => sections.has(w.split('.')[0]));
	  return { text, keys };
	})()`
	if err := p.eval(shownJS, &shown); err != nil {
		p.t.Fatalf("%s: reading the page's text: %v", p.name, err)
	}
	for _, w := range english {
		if strings.Contains(shown.Text, w) {
			p.t.Errorf("%s: the page still shows %q in English", p.name, w)
		}
	}
	if len(shown.Keys) > 0 {
		p.t.Errorf("%s: the page shows keys instead of words: %q", p.name, shown.Keys)
	}
	if p.t.Failed() {
		p.t.Logf("%s: the page reads:\n%s", p.name, shown.Text)
	}
}

// addCalls records two calls from caller to callee straight in the
// database: one in 2025, one five minutes ago.
func addCalls(t *testing.T, file, caller, callee string) {
	t.Helper()
	d, err := dao.Open(dao.Options{Driver: dao.DriverSQLite, DSN: file})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	from, err := d.UserByName(ctx, caller)
	if err != nil {
		t.Fatal(err)
	}
	to, err := d.UserByName(ctx, callee)
	if err != nil {
		t.Fatal(err)
	}
	for i, at := range []time.Time{time.Date(2025, 3, 4, 9, 5, 0, 0, time.Local), time.Now().Add(-5*time.Minute - 30*time.Second)} {
		answered, ended := at.Add(2*time.Second), at.Add(67*time.Second)
		c := &models.Call{ID: fmt.Sprintf("i18n%d", i), CallerID: from.ID, CalleeID: to.ID, InvitedAt: at,
			AnsweredAt: &answered, EndedAt: &ended, EndReason: models.CallHangup}
		if err := d.CreateCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
}
