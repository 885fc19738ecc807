import type { VendorLink } from '@sso/example-vendors'
import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

export interface SessionUser {
  id: string
  email: string
  name: string
}

type Html = HtmlEscapedString | Promise<HtmlEscapedString>

function layout(title: string, body: Html, head: Html | string = '') {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} · @sso on Hono</title>${head}</head>
<body>${body}</body></html>`
}

function whoIsSignedIn(user: SessionUser | null, returnTo: string) {
  return user
    ? html`<form method="post" action="/logout"><p>Signed in as <strong>${user.name}</strong> (${user.email})</p><button type="submit">Log out</button></form>`
    : html`<p>You are not signed in. <a href="/login?returnTo=${encodeURIComponent(returnTo)}">Log in</a></p>`
}

export function homePage(user: SessionUser | null, links: readonly VendorLink[]) {
  return layout(
    'Home',
    html`<h1>@sso on Hono</h1>${whoIsSignedIn(user, '/')}
<p>Each link starts the vendor's sign-in where the vendor starts it (here its local simulator):</p>
<ul>${links.map((l) => html`<li><a href="${l.href}">${l.name}</a>: ${l.note}</li>`)}</ul>
<p><a id="inspector" href="/sso/_inspect">Inspect what each vendor would receive</a> <small>(the development inspector: routes, settings, warnings and your decoded tokens, signatures removed)</small></p>`,
  )
}

export function loginPage(returnTo: string, error?: string) {
  return layout(
    'Log in',
    html`<h1>Log in</h1>
<p>This example's login has no password: type any email and a name.</p>
${error ? html`<p role="alert">${error}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="returnTo" value="${returnTo}">
<label>Email <input name="email" type="email" autocomplete="email" required></label>
<label>Name <input name="name" autocomplete="name" required></label>
<button type="submit">Log in</button>
</form>`,
  )
}

/** Komo's documented loader (a queueing proxy the SDK replays), and a handler that asks the app. */
export function komoPage(user: SessionUser | null, hubOrigin: string) {
  const loader = raw(`<script>
(function (w) {
  if (w.komoEmbed) return;
  var q = [];
  var proxy = { q: q };
  ['setAuthRequestHandler', 'setAuthToken', 'forgetUser'].forEach(function (m) {
    proxy[m] = function () { q.push([m].concat([].slice.call(arguments))); };
  });
  w.komoEmbed = proxy;
})(window);
komoEmbed.setAuthRequestHandler(async function () {
  var res = await fetch('/sso/komo/token', { method: 'POST', credentials: 'same-origin' });
  if (!res.ok) throw new Error('Not signed in');
  return (await res.json()).token;
});
</script>`)
  return layout(
    'Komo',
    html`<h1>Komo card</h1>${whoIsSignedIn(user, '/komo')}
<p>Click <strong>Open card</strong>, and the embed asks this page who you are: the page posts to <code>/sso/komo/token</code>.</p>
<div data-komo-card="demo"></div><p><a href="/">Back</a></p>`,
    html`${loader}<script async src="${hubOrigin}/assets/embed/embed.js"></script>`,
  )
}
