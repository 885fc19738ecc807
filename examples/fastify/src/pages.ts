import { escapeHtml } from '@sso/middleware/vendor-kit'

export interface DemoUser {
  id: string
  email: string
  name: string
}

export interface VendorLink {
  name: string
  href: string
}

function layout(title: string, body: string, head = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · @sso on Fastify</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.6rem 0}</style>${head}</head><body>${body}</body></html>`
}

function whoIsSignedIn(user: DemoUser | null): string {
  return user
    ? `<p>Signed in to the demo app as <strong>${escapeHtml(user.email)}</strong>.</p><form method="post" action="/logout"><button type="submit">Log out</button></form>`
    : '<p>You are not signed in. <a href="/login">Log in</a> first, or follow a vendor link: the vendor sends you here to log in.</p>'
}

export function homePage(user: DemoUser | null, links: readonly VendorLink[]): string {
  const items = links
    .map((l) => `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.name)}</a></li>`)
    .join('')
  return layout(
    'Home',
    `<h1>@sso on Fastify</h1>${whoIsSignedIn(user)}<p>Each link opens the vendor (its local simulator), which sends you back here to sign in:</p><ul>${items}</ul><p><a id="inspector" href="/sso/_inspect">Inspect what each vendor would receive</a> <small>(the development inspector: routes, settings, warnings and your decoded tokens, signatures removed)</small></p>`,
  )
}

export function loginPage(returnTo: string, error?: string): string {
  return layout(
    'Log in',
    `<h1>Log in</h1>${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}<p>Any email, no password: a demo.</p><form method="post" action="/login"><input type="hidden" name="returnTo" value="${escapeHtml(returnTo)}"><label>Email <input name="email" type="email" required></label><label>Name <input name="name" required></label><button type="submit">Log in</button></form>`,
  )
}

/** Komo's documented loader (a queueing proxy the SDK replays), its handler on the token route. */
export function komoPage(user: DemoUser | null, hubOrigin: string, tokenUrl: string): string {
  const loader = `<script>
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
  var res = await fetch(${JSON.stringify(tokenUrl)}, { method: 'POST', credentials: 'same-origin' });
  if (!res.ok) throw new Error('Not signed in');
  return (await res.json()).token;
});
</script><script async src="${escapeHtml(`${hubOrigin}/assets/embed/embed.js`)}"></script>`
  return layout(
    'Komo',
    `<h1>Komo card</h1>${whoIsSignedIn(user)}<div data-komo-card="demo"></div><p><a href="/">Back</a></p>`,
    loader,
  )
}
