/**
 * Where the Intercom simulator serves the Messenger stand-in for app `appId`, as Intercom's
 * loader snippet builds it (`https://widget.intercom.io/widget/<app_id>`).
 *
 * @example
 * ```ts
 * script.src = `${simulatorUrl}${intercomWidgetPath('abc12xyz')}` // http://127.0.0.1:4109/widget/abc12xyz
 * ```
 */
export function intercomWidgetPath(appId: string): string {
  return `/widget/${encodeURIComponent(appId)}`
}

/**
 * The Intercom Messenger stand-in (`widget.js`): plain browser JavaScript, no dependencies,
 * served by `intercomSimulator` as `text/javascript`.
 *
 * On load it replays `window.Intercom.q` (the `arguments` of each call, queued by Intercom's
 * loader snippet), then replaces `window.Intercom` with a function taking `boot`, `update`,
 * `shutdown`, `show`, `hide`, `onShow`, `onHide`, `getVisitorId` and `reattach_activator`. With
 * no `boot` queued it boots from `window.intercomSettings`, as the real widget does. A boot (or
 * an `update` with a new `intercom_user_jwt`) POSTs `{ app_id, intercom_user_jwt, user_id,
 * user_hash, email, name }` to `{simulator origin}/messenger/web/ping` (the origin of the
 * script's own `src`), which verifies them; the Messenger panel `#intercom-container` then shows
 * the contact (with a "What Intercom received" link, `[data-intercom-received]`, a new tab, to the
 * answer's `receipt` when it is on the simulator's own origin) or the refusal, as text only. The panel carries `data-intercom-state`
 * (`booting|signed-in|visitor|refused|shutdown`), `data-intercom-user` (the verified `user_id`,
 * only when signed in), `data-intercom-email` and, on refusal, `data-intercom-code`.
 * `Intercom.booted` is `true` between a boot and `shutdown`. `shutdown` forgets the user,
 * empties the panel and drops answers still in flight.
 *
 * @example
 * ```ts
 * import vm from 'node:vm'
 * vm.runInContext(intercomWidgetSource, contextWithAFakeDom)
 * ```
 */
export const intercomWidgetSource: string = String.raw`/* Intercom Messenger (local simulator, @sso/testing) */
(function () {
  'use strict';
  var w = window;
  var d = document;
  var previous = w.Intercom;
  if (previous && previous.__intercomSimulator === true) return;

  var origin = simulatorOrigin();
  var generation = 0;
  var settings = null;
  var user = null;
  var panel = null;
  var showHandlers = [];
  var hideHandlers = [];
  var visitorId = 'visitor-' + Math.random().toString(36).slice(2, 10);

  function simulatorOrigin() {
    var script = d.currentScript;
    var src = script && script.src;
    if (!src && d.getElementsByTagName) {
      var scripts = d.getElementsByTagName('script');
      for (var i = 0; i < scripts.length; i++) {
        if (/\/widget\/[^/?#]+(?:[?#]|$)/.test(scripts[i].src || '')) src = scripts[i].src;
      }
    }
    try {
      return new URL(src, d.baseURI).origin;
    } catch (e) {
      return w.location.origin;
    }
  }

  // CSSOM, not a style attribute: a page whose CSP has no 'unsafe-inline' styles still lays it out.
  function css(node, text) {
    if (node.style) node.style.cssText = text;
  }

  function el(tag, attrs, text) {
    var node = d.createElement(tag);
    for (var name in attrs) if (Object.prototype.hasOwnProperty.call(attrs, name)) node.setAttribute(name, attrs[name]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function ensurePanel() {
    if (panel) return panel;
    var root = el('div', { id: 'intercom-container', 'data-intercom-state': 'shutdown', role: 'complementary', 'aria-label': 'Intercom Messenger' });
    css(root, 'position:fixed;right:20px;bottom:20px;width:300px;font:14px/1.4 system-ui,sans-serif;z-index:2147483000');
    var frame = el('div', { 'class': 'intercom-messenger-frame' });
    css(frame, 'background:#fff;border-radius:12px;box-shadow:0 5px 40px #0003;overflow:hidden');
    var header = el('div', { 'class': 'intercom-header' }, 'Intercom Messenger');
    css(header, 'background:#1f8ded;color:#fff;padding:12px 16px;font-weight:600');
    var status = el('p', { 'data-intercom-status': '' });
    css(status, 'margin:12px 16px');
    var contact = el('p', { 'data-intercom-contact': '' });
    css(contact, 'margin:0 16px 12px;color:#555');
    var received = el('a', { 'data-intercom-received': '', target: '_blank', rel: 'noopener' }, 'What Intercom received');
    css(received, 'display:block;margin:0 16px 12px;color:#1f8ded');
    received.hidden = true;
    frame.appendChild(header);
    frame.appendChild(status);
    frame.appendChild(contact);
    frame.appendChild(received);
    var launcher = el('button', { type: 'button', 'class': 'intercom-launcher', 'aria-label': 'Open Intercom Messenger' }, 'Chat');
    css(launcher, 'margin-top:8px;float:right;border:0;border-radius:24px;background:#1f8ded;color:#fff;padding:10px 18px');
    launcher.addEventListener('click', function () {
      api(frame.hidden ? 'show' : 'hide');
    });
    root.appendChild(frame);
    root.appendChild(launcher);
    panel = { root: root, frame: frame, status: status, contact: contact, received: received };
    (d.body || d.documentElement).appendChild(root);
    return panel;
  }

  // Only a page of this Messenger's own origin: a receipt URL naming another origin is not shown.
  function receiptUrl(value) {
    if (typeof value !== 'string') return null;
    try {
      var url = new URL(value);
      return url.origin === origin && (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function render(state, detail, receipt) {
    var p = ensurePanel();
    var href = state === 'signed-in' ? receiptUrl(receipt) : null;
    if (href) p.received.setAttribute('href', href);
    else p.received.removeAttribute('href');
    p.received.hidden = !href;
    p.root.setAttribute('data-intercom-state', state);
    p.root.removeAttribute('data-intercom-user');
    p.root.removeAttribute('data-intercom-email');
    p.root.removeAttribute('data-intercom-code');
    p.root.hidden = state === 'shutdown';
    p.status.textContent = '';
    p.contact.textContent = '';
    if (state === 'booting') p.status.textContent = 'Connecting…';
    if (state === 'visitor') p.status.textContent = 'Hi there! Ask us anything.';
    if (state === 'refused') {
      p.root.setAttribute('data-intercom-code', detail.code);
      p.status.textContent = detail.message;
    }
    if (state === 'signed-in') {
      p.root.setAttribute('data-intercom-user', detail.user_id);
      if (detail.email) p.root.setAttribute('data-intercom-email', detail.email);
      p.status.textContent = 'Signed in to Intercom as ' + (detail.name || detail.email || detail.user_id);
      p.contact.textContent = [detail.email, 'user_id ' + detail.user_id].filter(Boolean).join(' · ');
    }
  }

  function str(value) {
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  function ping(boot) {
    var gen = ++generation;
    api.booted = true;
    render('booting');
    var body = {
      app_id: str(boot.app_id),
      intercom_user_jwt: str(boot.intercom_user_jwt),
      user_id: str(boot.user_id),
      user_hash: str(boot.user_hash),
      email: str(boot.email),
      name: str(boot.name),
    };
    return fetch(origin + '/messenger/web/ping', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
    })
      .then(function (response) {
        return response.json().then(
          function (json) {
            return { ok: response.ok, body: json || {} };
          },
          function () {
            return { ok: false, body: {} };
          },
        );
      })
      .then(
        function (result) {
          if (gen !== generation) return;
          if (result.ok && result.body.user) {
            user = result.body.user;
            render('signed-in', user, result.body.receipt);
          } else if (result.ok && result.body.visitor) {
            user = null;
            render('visitor');
          } else {
            user = null;
            var error = result.body.error || {};
            render('refused', {
              code: error.code || 'ping_failed',
              message: error.message || 'The Messenger could not verify this user.',
            });
          }
        },
        function () {
          if (gen !== generation) return;
          render('refused', { code: 'network_error', message: 'Intercom could not be reached.' });
        },
      );
  }

  function copy(source) {
    var out = {};
    if (source && typeof source === 'object') for (var k in source) if (Object.prototype.hasOwnProperty.call(source, k)) out[k] = source[k];
    return out;
  }

  var methods = {
    boot: function (options) {
      settings = copy(options);
      ping(settings);
    },
    update: function (options) {
      if (!settings) return;
      var next = copy(options);
      var jwt = str(next.intercom_user_jwt);
      for (var k in next) settings[k] = next[k];
      // A new signed identity is verified again; unsigned attributes never change who is signed in.
      if (jwt || str(next.user_hash)) ping(settings);
    },
    shutdown: function () {
      generation++;
      settings = null;
      user = null;
      api.booted = false;
      if (panel) render('shutdown');
    },
    show: function () {
      if (!panel || !settings) return;
      panel.frame.hidden = false;
      for (var i = 0; i < showHandlers.length; i++) showHandlers[i]();
    },
    hide: function () {
      if (!panel) return;
      panel.frame.hidden = true;
      for (var i = 0; i < hideHandlers.length; i++) hideHandlers[i]();
    },
    onShow: function (fn) {
      if (typeof fn === 'function') showHandlers.push(fn);
    },
    onHide: function (fn) {
      if (typeof fn === 'function') hideHandlers.push(fn);
    },
    getVisitorId: function () {
      return visitorId;
    },
    reattach_activator: function () {},
  };

  function api(method) {
    var args = Array.prototype.slice.call(arguments, 1);
    if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(methods, method)) {
      if (w.console) w.console.warn('Intercom: unknown method ' + String(method));
      return undefined;
    }
    try {
      return methods[method].apply(null, args);
    } catch (e) {
      if (w.console) w.console.error(e);
      return undefined;
    }
  }
  api.__intercomSimulator = true;
  api.booted = false;

  var queue = previous && previous.q && typeof previous.q.length === 'number' ? Array.prototype.slice.call(previous.q) : [];
  // A page that kept a reference to the loader's stub keeps working: its calls now run at once.
  if (previous && typeof previous.c === 'function') {
    try {
      previous.c = function (args) {
        api.apply(null, Array.prototype.slice.call(args || []));
      };
    } catch (e) {}
  }
  w.Intercom = api;
  var booted = false;
  for (var i = 0; i < queue.length; i++) {
    var entry = Array.prototype.slice.call(queue[i] || []);
    if (entry[0] === 'boot') booted = true;
    api.apply(null, entry);
  }
  if (!booted && w.intercomSettings && typeof w.intercomSettings === 'object' && w.intercomSettings.app_id) {
    api('boot', w.intercomSettings);
  }
})();
`
