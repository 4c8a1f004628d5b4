package main

// Browser tests of the words people read (issue 15, items 4, 5 and 9):
// form errors as sentences next to their fields, the wait of a throttled
// login, the group chat's draft, scrolling, older pages and counter, and
// the admin's confirmations and end reasons, in English and Chinese.

import (
	"context"
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

// setLang makes the page's browser context ask for lang, as the language
// switcher's cookie does.
func (p *page) setLang(lang string) {
	p.t.Helper()
	host := strings.Split(p.app.addr, ":")[0]
	p.run(5*time.Second, "set the lang cookie", chromedp.ActionFunc(func(ctx context.Context) error {
		return network.SetCookie("lang", lang).WithDomain(host).WithPath("/").Do(ctx)
	}))
}

// fillForm types a username and password into the open login or register
// form and submits it.
func (p *page) fillForm(username, password string) {
	p.t.Helper()
	p.waitFor(20*time.Second, "the form, mounted", `!!document.querySelector('#app:not([v-cloak]) #submit:not([disabled])')`)
	p.run(20*time.Second, "fill in the form",
		chromedp.Evaluate(`for (const id of ['username', 'password']) {
		  const input = document.getElementById(id);
		  input.value = '';
		  input.dispatchEvent(new Event('input'));
		}`, nil),
		chromedp.SendKeys("#username", username, chromedp.ByQuery),
		chromedp.SendKeys("#password", password, chromedp.ByQuery),
		chromedp.Click("#submit", chromedp.ByQuery),
	)
}

// TestE2EWordsForms: registering with two broken rules shows both
// sentences at once, each next to its field, in English and in Chinese;
// a throttled login says how long to wait, from Retry-After.
func TestE2EWordsForms(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	app := startApp(t, e2eEnv("CALLAPP_LOGIN_MAX_USER_FAILURES=1", "CALLAPP_LOGIN_WINDOW=2m")...)

	for _, tc := range []struct {
		lang, username, password string
	}{
		{"en", "Write the username in one script; Latin letters may go with Chinese, Japanese or Korean.",
			"The password needs at least 8 characters."},
		{"zh-CN", "用户名只能使用一种文字书写；拉丁字母可以与中文、日文或韩文混用。", "密码至少需要 8 个字符。"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			p := newPage(t, browser, app, "visitor-"+tc.lang)
			p.setLang(tc.lang)
			p.navigate("/webrtc/register")
			// A Cyrillic а among Latin letters: only the server knows that
			// rule, so the sentence comes from its answer.
			p.fillForm("root_аdmin", "short")
			p.waitFor(20*time.Second, "both sentences next to their fields", fmt.Sprintf(`(() => {
			  const u = document.querySelector('#username-error'), pw = document.querySelector('#password-error');
			  return u?.textContent.trim() === %q && pw?.textContent.trim() === %q &&
			    u.previousElementSibling?.id === 'username-hint' && pw.previousElementSibling?.id === 'password-hint' &&
			    document.querySelector('#username').getAttribute('aria-invalid') === 'true';
			})()`, tc.username, tc.password))
			if tc.lang != "en" {
				p.screenshot("register-errors-" + tc.lang)
			}
		})
	}

	t.Run("throttled", func(t *testing.T) {
		p := newPage(t, browser, app, "guesser")
		p.navigate("/webrtc/login")
		p.fillForm("nobody", "wrong password")
		p.waitFor(20*time.Second, "the wrong-password sentence",
			`document.querySelector('#form-error')?.textContent.trim() === 'The username or password is wrong.'`)
		// The second failure within the window is refused for about 2 minutes.
		p.fillForm("nobody", "wrong password")
		p.waitFor(20*time.Second, "the wait from Retry-After", `(() => {
		  const e = document.querySelector('#form-error');
		  return e?.textContent.trim() === 'Too many attempts. Try again in 2 minutes.' && document.querySelector('#submit').disabled;
		})()`)
	})
}

// seedChat stores n chat messages from carol, a user who never comes, and
// two ended calls between the first two accounts, before the server starts.
func seedChat(t *testing.T, dir string, n int, long string) {
	t.Helper()
	opts := dao.Options{Driver: dao.DriverSQLite, DSN: filepath.Join(dir, "callapp.db")}
	ctx := context.Background()
	at := time.Now().Add(-time.Hour)
	withDB(t, opts, func(d *dao.DAO) {
		for i := 1; i <= n; i++ {
			text := fmt.Sprintf("seed %d", i)
			if i == n {
				text = long
			}
			failOn(t, d.SaveChatMessage(ctx, &models.ChatMessage{FromID: 99, Username: "carol", Message: text, CreatedAt: at.Add(time.Duration(i) * time.Second)}))
		}
		failOn(t, d.CreateCall(ctx, &models.Call{ID: "unanswered", CallerID: 1, CalleeID: 2, InvitedAt: at}))
		failOn(t, d.MarkCallEnded(ctx, "unanswered", at.Add(30*time.Second), models.CallTimeout))
		failOn(t, d.CreateCall(ctx, &models.Call{ID: "no-media", CallerID: 2, CalleeID: 1, InvitedAt: at.Add(time.Minute)}))
		failOn(t, d.MarkCallAnswered(ctx, "no-media", at.Add(time.Minute+time.Second)))
		failOn(t, d.MarkCallEnded(ctx, "no-media", at.Add(2*time.Minute), models.CallMediaFailed))
	})
}

// TestE2EWordsChat: the chat keeps a draft the server refused and says
// why, never moves a reader who scrolled up, loads older messages without
// moving the view, and counts characters near the limit; the admin page
// asks before acting and says how calls ended.
func TestE2EWordsChat(t *testing.T) {
	t.Parallel()
	browser := requireBrowser(t)
	dir := t.TempDir()
	long := strings.Repeat("a long message ", 30) + "the end"
	seedChat(t, dir, 80, long)
	app := startApp(t, e2eEnv("CALLAPP_DATA_DIR="+dir, "CALLAPP_CHAT_RATE=1", "CALLAPP_CHAT_BURST=2")...)
	alice := newPage(t, browser, app, "alice")
	alice.register(e2ePassword)
	bob := newPage(t, browser, app, "bob")
	bob.register(e2ePassword)
	alice.waitFor(20*time.Second, "the seeded history", `document.querySelectorAll('#chatlog li[data-id]').length === 50`)

	t.Run("draft kept on rate limit", func(t *testing.T) {
		p := alice.in(t)
		// Two messages use up the burst; the third, typed and sent in the
		// same instant, is refused.
		p.run(5*time.Second, "send three messages at once", chromedp.Evaluate(`(() => {
		  const s = window.callapp.signal;
		  s.send('Message/SendToAll', { message: 'quick one' });
		  s.send('Message/SendToAll', { message: 'quick two' });
		  const input = document.querySelector('#chat-input');
		  input.value = 'the third, too fast';
		  input.dispatchEvent(new Event('input'));
		  document.querySelector('#chat-send').click();
		  return true;
		})()`, nil))
		p.waitFor(20*time.Second, "the refusal, with the draft kept", `
		  document.querySelector('#chat-error')?.textContent.trim() === 'You are sending messages too fast. Your message is kept: send it again in a moment.' &&
		  document.querySelector('#chat-input').value === 'the third, too fast'`)
		// Once the limit lets it through, sending again clears the draft.
		// Clicks come at most once a second: each refusal counts.
		p.waitFor(20*time.Second, "the draft sent and cleared", `(() => {
		  const input = document.querySelector('#chat-input');
		  const sent = [...document.querySelectorAll('#chatlog li.mine .text')].some((e) => e.textContent === 'the third, too fast');
		  if (sent) return input.value === '';
		  if (!window.lastTry || Date.now() - window.lastTry > 1000) { window.lastTry = Date.now(); document.querySelector('#chat-send').click(); }
		  return false;
		})()`)
	})

	t.Run("no jump when scrolled up", func(t *testing.T) {
		p := alice.in(t)
		p.run(5*time.Second, "scroll the chat up", chromedp.Evaluate(`document.querySelector('#chatlog').scrollTop = 200; true`, nil))
		bob.run(20*time.Second, "bob sends a message", chromedp.SendKeys("#chat-input", "hello from bob\n", chromedp.ByQuery))
		p.waitFor(20*time.Second, "the new-messages button, the view unmoved", `(() => {
		  const log = document.querySelector('#chatlog');
		  const arrived = [...log.querySelectorAll('.text')].some((e) => e.textContent === 'hello from bob');
		  return arrived && log.scrollTop === 200 && document.querySelector('#chat-new')?.textContent.trim() === '1 new message ↓';
		})()`)
		p.click("#chat-new")
		p.waitFor(20*time.Second, "the newest message in view, the button gone", `(() => {
		  const log = document.querySelector('#chatlog');
		  return log.scrollHeight - log.scrollTop - log.clientHeight < 5 && !document.querySelector('#chat-new');
		})()`)
	})

	t.Run("load older", func(t *testing.T) {
		p := alice.in(t)
		// The first message shown stays where it is on screen while older
		// ones are put above it.
		p.run(5*time.Second, "scroll to the top and note the first message", chromedp.Evaluate(`(() => {
		  const log = document.querySelector('#chatlog');
		  log.scrollTop = 0;
		  const first = log.querySelector('li[data-id]');
		  window.firstShown = { id: first.dataset.id, top: first.getBoundingClientRect().top };
		  return true;
		})()`, nil))
		p.click("#chat-older")
		p.waitFor(20*time.Second, "the older messages above, the view unmoved", `(() => {
		  const log = document.querySelector('#chatlog');
		  const texts = [...log.querySelectorAll('li[data-id] .text')].map((e) => e.textContent);
		  const first = log.querySelector('li[data-id="' + window.firstShown.id + '"]');
		  return texts[0] === 'seed 1' && texts.filter((t) => /^seed \d+$/.test(t)).length === 79 &&
		    Math.abs(first.getBoundingClientRect().top - window.firstShown.top) < 2 &&
		    !document.querySelector('#chat-older') && log.textContent.includes('No older messages.');
		})()`)
	})

	t.Run("counter near the limit", func(t *testing.T) { draftCounter(alice.in(t), "chat") })

	t.Run("admin", func(t *testing.T) {
		p := alice.in(t)
		p.navigate("/webrtc/admin")
		p.waitFor(20*time.Second, "end reasons in words", `(() => {
		  const ends = [...document.querySelectorAll('#calls tr[data-call]')].map((tr) => tr.cells[4].textContent.trim());
		  return ends.includes('No answer') && ends.includes('Media could not connect');
		})()`)

		// A long message is clipped, with a toggle that shows it whole.
		const lastRow = `[...document.querySelectorAll('#messages tr[data-id]')].find((tr) => tr.querySelector('.more-btn'))`
		p.waitFor(20*time.Second, "the long message clipped", fmt.Sprintf(`(() => {
		  const tr = %s;
		  return !!tr && tr.querySelector('td.text span').textContent.endsWith('…') && tr.querySelector('.more-btn').textContent.trim() === 'more';
		})()`, lastRow))
		p.run(5*time.Second, "show the whole message", chromedp.Evaluate(lastRow+`.querySelector('.more-btn').click()`, nil))
		p.waitFor(20*time.Second, "the whole message", fmt.Sprintf(`(() => {
		  const tr = %s;
		  return tr.querySelector('td.text span').textContent === %q && tr.querySelector('.more-btn').getAttribute('aria-expanded') === 'true';
		})()`, lastRow, long))

		bobRow := `document.querySelector('#users tr[data-user="bob"]')`
		bobDisabled := `fetch('/webrtc/api/admin/users?q=bob').then((r) => r.json()).then((r) => r.data.users[0].disabled)`
		p.waitFor(20*time.Second, "bob in the users table", `!!`+bobRow)

		// Cancel does nothing.
		p.run(5*time.Second, "click Disable", chromedp.Evaluate(bobRow+`.querySelector('.actions button').click()`, nil))
		p.waitFor(20*time.Second, "the confirmation", `document.querySelector('#confirm')?.open &&
		  document.querySelector('#confirm-text').textContent.includes('Disable bob?') &&
		  document.activeElement?.id === 'confirm-cancel'`)
		p.screenshot("admin-confirm", "#confirm")
		p.click("#confirm-cancel")
		p.waitFor(20*time.Second, "the dialog closed", `!document.querySelector('#confirm').open`)
		var disabled bool
		if err := p.eval(bobDisabled, &disabled); err != nil || disabled {
			t.Fatalf("after Cancel, bob disabled = %v (%v)", disabled, err)
		}
		// Escape on a role change is a cancel too.
		p.run(5*time.Second, "click Make admin", chromedp.Evaluate(bobRow+`.querySelectorAll('.actions button')[1].click()`, nil))
		p.waitFor(20*time.Second, "the role confirmation", `document.querySelector('#confirm')?.open && document.querySelector('#confirm-text').textContent.includes('Make bob an admin?')`)
		p.run(5*time.Second, "press Escape", chromedp.KeyEvent("\x1b"))
		p.waitFor(20*time.Second, "the dialog closed, bob still a user", `!document.querySelector('#confirm').open && `+bobRow+`.cells[2].textContent.trim() === 'user'`)

		// Confirm acts.
		p.run(5*time.Second, "click Disable", chromedp.Evaluate(bobRow+`.querySelector('.actions button').click()`, nil))
		p.waitFor(20*time.Second, "the confirmation", `document.querySelector('#confirm')?.open`)
		p.run(5*time.Second, "click the dialog's Disable", chromedp.Evaluate(`document.querySelector('#confirm-ok').click()`, nil))
		p.waitFor(20*time.Second, "bob disabled", bobRow+`?.cells[3].textContent.trim() === 'disabled'`)
		if err := p.eval(bobDisabled, &disabled); err != nil || !disabled {
			t.Fatalf("after Disable, bob disabled = %v (%v)", disabled, err)
		}

		// Deleting a message asks first, too.
		row := `document.querySelector('#messages tr[data-id]')`
		var id string
		if err := p.eval(row+`.dataset.id`, &id); err != nil {
			t.Fatal(err)
		}
		p.run(5*time.Second, "click Delete", chromedp.Evaluate(row+`.querySelector('.delete-btn').click()`, nil))
		p.waitFor(20*time.Second, "the delete confirmation", `document.querySelector('#confirm')?.open && document.querySelector('#confirm-text').textContent.includes('for everyone')`)
		p.click("#confirm-cancel")
		sel := fmt.Sprintf(`document.querySelector('#messages tr[data-id="%s"]')`, id)
		p.waitFor(20*time.Second, "the message still there", `!document.querySelector('#confirm').open && !!`+sel)
		p.run(5*time.Second, "click Delete", chromedp.Evaluate(sel+`.querySelector('.delete-btn').click()`, nil))
		p.waitFor(20*time.Second, "the delete confirmation", `document.querySelector('#confirm')?.open`)
		p.run(5*time.Second, "click the dialog's Delete", chromedp.Evaluate(`document.querySelector('#confirm-ok').click()`, nil))
		p.waitFor(20*time.Second, "the message gone", `!`+sel)
		if p.dialogCount() > 0 {
			t.Errorf("a JavaScript dialog opened:\n%s", p.report())
		}
	})
}
