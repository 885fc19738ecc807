import { escapeHtml } from '@sso/middleware/vendor-kit'

export interface DemoUser {
  id: string
  email: string
  name: string
}

export interface VendorLink {
  /** The vendor's name, as the link text. */
  name: string
  /** Where the vendor's own flow starts (its portal, console or community). */
  href: string
  /** One line on what happens. */
  note: string
}

/** A tenant on the front page: a link to its own community. */
export interface TenantLink {
  /** The tenant id (`/t/<id>/sso`). */
  id: string
  /** What people call it, as the link text. */
  name: string
  /** Where the tenant's flow starts: its community's front page. */
  href: string
}

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}' +
  'a{color:#0b57d0}ul{padding-left:1.2rem}li{margin:.4rem 0}label{display:block;margin:.6rem 0}' +
  'input{font:inherit;padding:.3rem;width:100%;max-width:22rem}button{font:inherit;padding:.3rem .9rem}' +
  '.card{border:1px solid #ccc;border-radius:8px;padding:1rem;margin:1rem 0}small{color:#666}' +
  '.warning{border:3px solid #b00020;background:#fdecea;color:#5f0010;border-radius:8px;padding:.8rem 1rem;margin:1rem 0}'

export function layout(title: string, body: string, head = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(
    title,
  )} · @sso demo</title><style>${STYLE}</style>${head}</head><body>${body}</body></html>`
}

function whoIsSignedIn(user: DemoUser | null, returnTo = '/'): string {
  const login = `/login?returnTo=${encodeURIComponent(returnTo)}`
  return user
    ? `<p>Signed in to the demo app as <strong>${escapeHtml(user.email)}</strong>.</p><form method="post" action="/logout"><button type="submit">Log out</button></form>`
    : `<p>You are not signed in. <a href="${escapeHtml(login)}">Log in</a> first, or follow a vendor link: the vendor sends you here to log in.</p>`
}

/**
 * The warning shown while the password-less demo login fronts real vendors
 * (`DEMO_LOGIN_WITHOUT_PASSWORD_I_UNDERSTAND=1`); empty with simulators only.
 */
export function realVendorWarning(realVendors: readonly string[]): string {
  if (realVendors.length === 0) return ''
  return `<div class="warning" role="alert" data-demo-warning><strong>Warning: real vendors, no password.</strong> This demo login accepts any email without a password, and ${escapeHtml(
    realVendors.join(', '),
  )} ${realVendors.length === 1 ? 'is' : 'are'} the real service, not a simulator: whoever reaches this page can sign in there as any user. It runs only because DEMO_LOGIN_WITHOUT_PASSWORD_I_UNDERSTAND=1 is set; keep it on your own machine.</div>`
}

/**
 * The front page's tenants: what a tenant is here, and a link to each tenant's community.
 * Empty without tenants.
 */
function tenantsSection(tenants: readonly TenantLink[]): string {
  if (tenants.length === 0) return ''
  const links = tenants
    .map(
      (t) =>
        `<a href="${escapeHtml(t.href)}" data-tenant="${escapeHtml(t.id)}">${escapeHtml(t.name)}</a>`,
    )
    .join(' / ')
  return `<h2>Tenants</h2><p data-tenants>Tenants: ${links}</p><p><small>A tenant here is one of this app's customer organisations. Each has its own Bettermode community, with its own SSO key and its own URL, kept in the app's tenant table (in memory here, a database in a real app). One middleware serves them all under <code>/t/&lt;tenant&gt;/sso</code>: the path names the tenant, and a resolver looks up that tenant's secret and community, so a tenant's token only ever goes to its own community. Your login here is the same for both.</small></p>`
}

export function homePage(
  user: DemoUser | null,
  links: VendorLink[],
  realVendors: readonly string[] = [],
  tenants: readonly TenantLink[] = [],
): string {
  const items = links
    .map(
      (l) =>
        `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.name)}</a> <small>${escapeHtml(l.note)}</small></li>`,
    )
    .join('')
  return layout(
    'Home',
    `<h1>@sso demo</h1>${realVendorWarning(realVendors)}${whoIsSignedIn(user)}<h2>Vendors</h2><p>Each link starts the flow the way the vendor does.</p><ul>${items}</ul><p><a id="inspector" href="/sso/_inspect">Inspect what each vendor would receive</a> <small>(the development inspector: routes, settings, warnings and your decoded tokens, signatures removed)</small></p>${tenantsSection(tenants)}`,
  )
}

/**
 * Which vendor sent the visitor and where they return: `returnTo` is already a safe relative
 * path (the route checks it); the vendor is its `/sso/<vendor>/` segment, escaped.
 */
function sentBy(returnTo: string): string {
  const vendor = /^\/sso\/([a-z0-9-]+)\//.exec(returnTo)?.[1]
  const back = `<p data-return-to>After you log in you return to <code>${escapeHtml(returnTo)}</code>.</p>`
  if (!vendor || vendor.startsWith('_')) return returnTo === '/' ? '' : back
  return `<p data-sent-by="${escapeHtml(vendor)}"><strong>${escapeHtml(vendor)}</strong> sent you here to sign in: it trusts this app to say who you are.</p>${back}`
}

export function loginPage(
  returnTo: string,
  error?: string,
  realVendors: readonly string[] = [],
): string {
  return layout(
    'Log in',
    `<h1>Log in to the demo app</h1>${realVendorWarning(realVendors)}${sentBy(returnTo)}${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}<form method="post" action="/login">
<input type="hidden" name="returnTo" value="${escapeHtml(returnTo)}">
<label>Email <input name="email" type="email" required autocomplete="email"></label>
<label>Name <input name="name" required autocomplete="name"></label>
<button type="submit">Log in</button></form><p><small>Demo only: any email is accepted, with no password.</small></p>`,
  )
}

export function komoPage(user: DemoUser | null, hubOrigin: string, tokenUrl: string): string {
  const script = `${hubOrigin}/assets/embed/embed.js`
  // Komo's documented loader: a queueing proxy, then the SDK replays the queue when it loads.
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
  var body = await res.json();
  return body.token;
});
</script><script async src="${escapeHtml(script)}"></script>`
  return layout(
    'Komo',
    `<h1>Komo card</h1>${whoIsSignedIn(user, '/komo')}<p>Below is a Komo card, drawn by Komo's embed script (here the local simulator's). It waits for you: click <strong>Open card</strong>, and the embed asks this page who you are. The page's handler posts to <code>${escapeHtml(
      tokenUrl,
    )}</code>; logged in, it gets a signed token and the card shows you as the signed-in contact; logged out, the card asks you to sign in to the app.</p><div class="card" data-komo-card="demo"></div><p><a href="/">Back</a></p>`,
    loader,
  )
}

/**
 * The Intercom page's one script, served from the app (`/intercom.js`, allowed by the page's CSP
 * as `'self'`; no inline script). It installs Intercom's loader stub, loads the Messenger from
 * `data-widget`, asks `data-token-url` for the Messenger JWT and boots with `app_id` and
 * `intercom_user_jwt` only: `user_id` and the email are signed in the token, never in the
 * settings. Logged out (401), it does not boot. Its "Log out" posts to /logout, then shuts the
 * Messenger down before the page shows the user as gone.
 */
export const INTERCOM_PAGE_SCRIPT = `(function () {
  'use strict';
  var me = document.currentScript;
  var appId = me.getAttribute('data-app-id');
  var tokenUrl = me.getAttribute('data-token-url');
  var status = document.querySelector('[data-intercom-demo]');
  function say(state, text) {
    status.setAttribute('data-intercom-demo', state);
    status.textContent = text;
  }
  // Intercom's loader stub: calls made before the Messenger loads are queued in Intercom.q.
  var w = window;
  if (typeof w.Intercom !== 'function') {
    var stub = function () { stub.c(arguments); };
    stub.q = [];
    stub.c = function (args) { stub.q.push(args); };
    w.Intercom = stub;
  }
  var script = document.createElement('script');
  script.async = true;
  script.src = me.getAttribute('data-widget');
  document.head.appendChild(script);

  fetch(tokenUrl, { method: 'POST', credentials: 'same-origin' })
    .then(function (res) {
      if (res.status === 401) return say('logged-out', 'Not signed in: the Messenger is not booted.');
      if (!res.ok) return say('error', 'The token endpoint answered ' + res.status + '.');
      return res.json().then(function (body) {
        w.Intercom('boot', { app_id: appId, intercom_user_jwt: body.token });
        say('booted', 'Booted with a token that expires at ' + new Date(body.expiresAt * 1000).toISOString() + '.');
      });
    })
    .catch(function () {
      say('error', 'The token endpoint could not be reached.');
    });

  var logout = document.querySelector('form[action="/logout"]');
  if (logout) {
    logout.addEventListener('submit', function (event) {
      event.preventDefault();
      fetch('/logout', { method: 'POST', credentials: 'same-origin' }).then(function () {
        w.Intercom('shutdown');
        var who = document.querySelector('[data-demo-user]');
        if (who) who.textContent = 'You are logged out.';
        logout.remove();
        say('shut-down', 'Logged out: the Messenger was shut down.');
      });
    });
  }
})();
`

/** The Messenger's page: who is signed in, and the script that boots the Messenger. */
export function intercomPage(
  user: DemoUser | null,
  options: { appId: string; widgetUrl: string; tokenUrl: string },
): string {
  const signedIn = user
    ? `<p data-demo-user>Signed in to the demo app as <strong>${escapeHtml(user.email)}</strong>.</p><form method="post" action="/logout"><button type="submit">Log out</button></form>`
    : whoIsSignedIn(null, '/intercom')
  return layout(
    'Intercom',
    `<h1>Intercom Messenger</h1>${signedIn}<p>This page boots Intercom's Messenger (here the local simulator's stand-in, bottom right) with <code>Intercom('boot', { app_id, intercom_user_jwt })</code>. The token comes from <code>POST ${escapeHtml(
      options.tokenUrl,
    )}</code>: your user id, email and name are signed in it, and never put in the page's settings, so nobody can claim to be someone else by editing them. Logged out, the page does not boot the Messenger; logging out shuts it down.</p><p data-intercom-demo="loading">Asking the app for a Messenger token…</p><p><a href="/">Back</a></p>`,
    `<script defer src="/intercom.js" data-app-id="${escapeHtml(options.appId)}" data-widget="${escapeHtml(
      options.widgetUrl,
    )}" data-token-url="${escapeHtml(options.tokenUrl)}"></script>`,
  )
}

/**
 * The Featurebase SDK page: a widget the SDK draws, booted with the token this app issues. The
 * page runs no inline script: its CSP allows scripts from the app (`/featurebase.js`, the boot
 * code) and the SDK's origin, and fetches to the app and that origin only.
 */
export function featurebasePage(
  user: DemoUser | null,
  sdkUrl: string,
  appId: string,
  tokenUrl: string,
): string {
  return layout(
    'Featurebase',
    `<h1>Featurebase widget</h1>${whoIsSignedIn(user, '/featurebase')}<p>Below, Featurebase's SDK (here the local simulator's) draws its widget. Before booting it, this page asks <code>${escapeHtml(
      tokenUrl,
    )}</code> for a token: logged in, it passes the token as <code>featurebaseJwt</code> to <code>Featurebase('boot', …)</code> and the widget shows you as the signed-in user; logged out, the SDK boots anonymously.</p><div class="card" data-featurebase-widget></div><p><a href="/">Back</a></p>`,
    `<script src="/featurebase.js" defer data-sdk="${escapeHtml(sdkUrl)}" data-app-id="${escapeHtml(
      appId,
    )}" data-token-url="${escapeHtml(tokenUrl)}"></script>`,
  )
}

/**
 * The Featurebase page's one script, served by the app (no inline script under the page's CSP):
 * Featurebase's snippet (the queue), the token from the app, then the SDK.
 */
export const FEATUREBASE_BOOT_SCRIPT = `(function (w, d) {
  'use strict';
  var me = d.currentScript;
  var sdk = me.getAttribute('data-sdk');
  var appId = me.getAttribute('data-app-id');
  var tokenUrl = me.getAttribute('data-token-url');
  // Featurebase's snippet: calls queue until the SDK loads and replays them.
  if (typeof w.Featurebase !== 'function') {
    w.Featurebase = function () { (w.Featurebase.q = w.Featurebase.q || []).push(arguments); };
  }
  fetch(tokenUrl, { method: 'POST', credentials: 'same-origin' })
    .then(function (res) { return res.ok ? res.json() : null; })
    .then(function (body) {
      var settings = { appId: appId };
      if (body && typeof body.token === 'string') settings.featurebaseJwt = body.token;
      w.Featurebase('boot', settings);
    }, function () { w.Featurebase('boot', { appId: appId }); });
  var script = d.createElement('script');
  script.id = 'featurebase-sdk';
  script.src = sdk;
  d.head.appendChild(script);
})(window, document);
`

/**
 * The Canny widget page's one script, served as `/canny.js` (no inline script: the page's CSP
 * allows scripts from this app and the Canny SDK's origin only). It installs Canny's queueing
 * loader, asks the token route for a token (logged out: none, an anonymous board), renders the
 * board with it, and loads the SDK, which replays the queue.
 */
export const CANNY_PAGE_SCRIPT = `(function (w, d) {
  'use strict';
  var config = d.getElementById('canny-config');
  if (!config) return;
  var boardToken = config.getAttribute('data-board-token');
  var tokenUrl = config.getAttribute('data-token-url');
  w.Canny = w.Canny || function () { (w.Canny.q = w.Canny.q || []).push(arguments); };
  fetch(tokenUrl, { method: 'POST', credentials: 'same-origin' })
    .then(function (res) { return res.ok ? res.json() : null; })
    .catch(function () { return null; })
    .then(function (body) {
      var options = { boardToken: boardToken, basePath: '/canny' };
      if (body && typeof body.token === 'string') options.ssoToken = body.token;
      w.Canny('render', options);
    });
  var script = d.createElement('script');
  script.async = true;
  script.src = config.getAttribute('data-sdk');
  d.head.appendChild(script);
})(window, document);
`

/**
 * The Metabase SDK page's own script (served by the app, so the page's CSP needs no inline
 * script): the `fetchRequestToken` the SDK calls. It POSTs with the session cookie (the token
 * endpoint is POST-only, the SDK's default GET is not) and passes the server's error code on.
 */
export const METABASE_SDK_CONFIG = `window.metabaseConfig = {
  fetchRequestToken: async function () {
    var res = await fetch('/sso/metabase/token', { method: 'POST', credentials: 'same-origin' });
    var body = await res.json().catch(function () { return null; });
    if (!res.ok || !body || typeof body.jwt !== 'string') {
      var error = new Error('No Metabase token');
      error.code = (body && body.error && body.error.code) || 'HTTP_' + res.status;
      throw error;
    }
    return { jwt: body.jwt };
  }
};
`

/**
 * An embedded Metabase dashboard: the page loads the simulator's SDK stand-in from the instance
 * and hands it `fetchRequestToken`. Returns the page and its CSP: scripts and
 * fetches only from this app and the instance, no inline script.
 */
export function metabasePage(
  user: DemoUser | null,
  sdkScript: string,
): { html: string; csp: string } {
  const instance = new URL(sdkScript).origin
  const csp = `default-src 'none'; script-src 'self' ${instance}; connect-src 'self' ${instance}; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`
  const html = layout(
    'Metabase',
    `<h1>Metabase dashboard</h1>${whoIsSignedIn(user, '/metabase')}<p>Below is a dashboard drawn by Metabase's embedding SDK (here the local simulator's stand-in, from <code>${escapeHtml(
      instance,
    )}</code>). The SDK calls this page's <code>fetchRequestToken</code>, which posts to <code>/sso/metabase/token</code>; logged in, it gets a signed JWT that the SDK exchanges with Metabase for a session, and the dashboard shows you as the signed-in user; logged out, it asks you to sign in to the app.</p><div class="card" data-metabase-dashboard="1"></div><p><a href="/">Back</a></p>`,
    `<script src="/metabase/sdk-config.js"></script><script defer src="${escapeHtml(sdkScript)}"></script>`,
  )
  return { html, csp }
}

/**
 * The Canny widget page: the board embedded in the app, fed a token from `tokenUrl`. Returns the
 * page and its CSP: scripts from this app and the SDK's origin, the board's frame from there.
 */
export function cannyPage(
  user: DemoUser | null,
  options: { boardToken: string; sdkUrl: string; tokenUrl: string },
): { html: string; csp: string } {
  const sdk = new URL(options.sdkUrl).origin
  // The widget frame lives on Canny's own origin (the simulator's, or canny.io for the real SDK).
  const frame = sdk === 'https://sdk.canny.io' ? 'https://canny.io' : sdk
  const csp = [
    "default-src 'none'",
    `script-src 'self' ${sdk}`,
    `frame-src ${frame}`,
    `connect-src 'self' ${frame}`,
    "style-src 'unsafe-inline'",
    `img-src 'self' ${frame}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
  const html = layout(
    'Canny',
    `<h1>Canny widget</h1>${whoIsSignedIn(user, '/canny')}<p>Below is a Canny board, drawn by Canny's widget script (here the local simulator's). This page posts to <code>${escapeHtml(
      options.tokenUrl,
    )}</code> for a token and hands it to the widget as <code>ssoToken</code>; logged in, the board shows you as the signed-in user; logged out, it is the anonymous board.</p><div id="canny-config" hidden data-board-token="${escapeHtml(
      options.boardToken,
    )}" data-token-url="${escapeHtml(options.tokenUrl)}" data-sdk="${escapeHtml(
      options.sdkUrl,
    )}"></div><div class="card" data-canny></div><p><a href="/">Back</a></p>`,
    '<script src="/canny.js" defer></script>',
  )
  return { html, csp }
}
