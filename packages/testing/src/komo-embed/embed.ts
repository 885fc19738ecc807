/**
 * Where the Komo hub serves its embed SDK, as Komo's loader snippet expects.
 *
 * @example
 * ```ts
 * script.src = `${hubUrl}${komoEmbedPath}` // http://127.0.0.1:4002/assets/embed/embed.js
 * ```
 */
export const komoEmbedPath = '/assets/embed/embed.js'

/**
 * The Komo embed SDK stand-in: plain browser JavaScript, no dependencies, served by
 * `komoSimulator` as `text/javascript`.
 *
 * On load it replays `window.komoEmbed.q` (entries `[method, ...args]` queued by the page's
 * loader), replaces `window.komoEmbed` with `{ setAuthRequestHandler, setAuthToken, forgetUser }`
 * (later pushes onto the old queue run at once), and renders a card into every
 * `[data-komo-card]` element, now and later (MutationObserver). "Open card" uses the pushed token,
 * else asks the auth request handler (a rejection means no user: "Sign in to your app to
 * continue"), POSTs it to `{hub origin}/api/verify` (the origin of the script's own `src`) and
 * shows `Signed in to Komo as <email>` with the contact's name and a "What Komo received" link
 * (`[data-komo-received]`, a new tab) to the answer's `receipt` when it is on the hub's own
 * origin, or the refusal. An `expired`
 * refusal asks the handler once more. Cards carry `data-komo-state`
 * (`idle|loading|signed-in|error`) and, on error, `data-komo-code`.
 *
 * @example
 * ```ts
 * import vm from 'node:vm'
 * vm.runInContext(komoEmbedSource, contextWithAFakeDom)
 * ```
 */
export const komoEmbedSource: string = String.raw`/* Komo embed SDK (local simulator, @sso/testing) */
(function () {
  'use strict';
  var w = window;
  var d = document;
  var previous = w.komoEmbed;
  if (previous && previous.__komoSimulator === true) return;

  var hub = hubOrigin();
  var pushedToken = null;
  var pulled = null;
  var handler = null;
  var inflight = null;
  var generation = 0;
  var cards = [];

  function hubOrigin() {
    var script = d.currentScript;
    var src = script && script.src;
    if (!src && d.getElementsByTagName) {
      var scripts = d.getElementsByTagName('script');
      for (var i = 0; i < scripts.length; i++) {
        if (/\/assets\/embed\/embed\.js(?:[?#]|$)/.test(scripts[i].src || '')) src = scripts[i].src;
      }
    }
    try {
      return new URL(src, d.baseURI).origin;
    } catch (e) {
      return w.location.origin;
    }
  }

  function expiryOf(token) {
    try {
      var part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      while (part.length % 4) part += '=';
      var claims = JSON.parse(atob(part));
      return typeof claims.exp === 'number' ? claims.exp * 1000 : Infinity;
    } catch (e) {
      return 0;
    }
  }

  function getToken(fresh) {
    if (!fresh && pushedToken) return Promise.resolve(pushedToken);
    if (!fresh && pulled && pulled.expiresAt - 5000 > Date.now()) return Promise.resolve(pulled.token);
    if (!handler) return Promise.reject(new Error('No auth request handler'));
    if (!inflight) {
      var gen = generation;
      var request = Promise.resolve()
        .then(function () {
          return handler();
        })
        .then(function (token) {
          if (typeof token !== 'string' || token === '') {
            throw new Error('The auth request handler returned no token');
          }
          if (gen === generation) pulled = { token: token, expiresAt: expiryOf(token) };
          return token;
        });
      var clear = function () {
        if (inflight === request) inflight = null;
      };
      request.then(clear, clear);
      inflight = request;
    }
    return inflight;
  }

  function verify(token) {
    return fetch(hub + '/api/verify', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: token }),
      credentials: 'omit',
    }).then(function (response) {
      return response.json().then(
        function (body) {
          return { ok: response.ok, body: body || {} };
        },
        function () {
          return { ok: false, body: {} };
        },
      );
    });
  }

  function attempt(fresh) {
    return getToken(fresh).then(
      function (token) {
        return verify(token).then(
          function (result) {
            if (result.ok && result.body.contact) {
              return { state: 'signed-in', contact: result.body.contact, receipt: result.body.receipt };
            }
            var error = result.body.error || {};
            if (pulled && pulled.token === token) pulled = null;
            if (error.code === 'expired' && !fresh && handler) {
              if (token === pushedToken) pushedToken = null;
              return attempt(true);
            }
            return {
              state: 'error',
              code: error.code || 'verify_failed',
              message: error.message || 'Komo could not verify your sign-in.',
            };
          },
          function () {
            return { state: 'error', code: 'network_error', message: 'Komo could not be reached. Try again.' };
          },
        );
      },
      function () {
        return { state: 'error', code: 'no_user', message: 'Sign in to your app to continue' };
      },
    );
  }

  // Only a page of the hub itself: a receipt URL naming another origin is not shown.
  function receiptUrl(value) {
    if (typeof value !== 'string') return null;
    try {
      var url = new URL(value);
      return url.origin === hub && (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function render(card, state, detail, receipt) {
    card.state = state;
    card.el.setAttribute('data-komo-state', state);
    if (state === 'error') card.el.setAttribute('data-komo-code', detail.code);
    else card.el.removeAttribute('data-komo-code');
    card.contact.textContent = '';
    var href = state === 'signed-in' ? receiptUrl(receipt) : null;
    if (href) card.received.setAttribute('href', href);
    else card.received.removeAttribute('href');
    card.received.hidden = !href;
    if (state === 'idle') card.status.textContent = '';
    if (state === 'loading') card.status.textContent = 'Opening…';
    if (state === 'error') card.status.textContent = detail.message;
    if (state === 'signed-in') {
      card.status.textContent = 'Signed in to Komo as ' + detail.email;
      card.contact.textContent = [detail.firstName, detail.lastName].filter(Boolean).join(' ');
    }
    card.button.hidden = state === 'loading' || state === 'signed-in';
  }

  function open(card) {
    if (card.state === 'loading') return;
    var gen = generation;
    render(card, 'loading');
    attempt(false).then(function (result) {
      if (gen !== generation) return;
      if (result.state === 'signed-in') render(card, 'signed-in', result.contact, result.receipt);
      else render(card, 'error', result);
    });
  }

  function mount(el) {
    for (var i = 0; i < cards.length; i++) if (cards[i].el === el) return;
    var box = d.createElement('div');
    box.setAttribute('class', 'komo-card');
    var title = d.createElement('strong');
    var id = el.getAttribute('data-komo-card');
    title.textContent = id ? 'Komo card: ' + id : 'Komo card';
    var status = d.createElement('p');
    status.setAttribute('data-komo-status', '');
    var contact = d.createElement('p');
    contact.setAttribute('data-komo-contact', '');
    var button = d.createElement('button');
    button.setAttribute('type', 'button');
    button.textContent = 'Open card';
    var received = d.createElement('a');
    received.setAttribute('data-komo-received', '');
    received.setAttribute('target', '_blank');
    received.setAttribute('rel', 'noopener');
    received.textContent = 'What Komo received';
    received.hidden = true;
    var card = { el: el, status: status, contact: contact, received: received, button: button, state: 'idle' };
    button.addEventListener('click', function () {
      open(card);
    });
    box.appendChild(title);
    box.appendChild(status);
    box.appendChild(contact);
    box.appendChild(received);
    box.appendChild(button);
    el.appendChild(box);
    cards.push(card);
    render(card, 'idle');
  }

  function scan(node) {
    if (!node || node.nodeType !== 1) return;
    if (node.hasAttribute('data-komo-card')) mount(node);
    var found = node.querySelectorAll('[data-komo-card]');
    for (var i = 0; i < found.length; i++) mount(found[i]);
  }

  var api = {
    __komoSimulator: true,
    setAuthRequestHandler: function (fn) {
      if (typeof fn !== 'function') throw new TypeError('komoEmbed.setAuthRequestHandler expects a function');
      handler = fn;
      pulled = null;
    },
    setAuthToken: function (token) {
      pushedToken = typeof token === 'string' && token !== '' ? token : null;
    },
    forgetUser: function () {
      generation++;
      pushedToken = null;
      pulled = null;
      inflight = null;
      for (var i = 0; i < cards.length; i++) render(cards[i], 'idle');
    },
  };

  function run(entry) {
    var args = Array.prototype.slice.call(entry || []);
    var method = args.shift();
    if (typeof api[method] !== 'function' || method.charAt(0) === '_') {
      if (w.console) w.console.warn('komoEmbed: unknown method ' + String(method));
      return;
    }
    try {
      api[method].apply(api, args);
    } catch (e) {
      if (w.console) w.console.error(e);
    }
  }

  var queue = previous && previous.q && typeof previous.q.length === 'number' ? previous.q : [];
  var pending = Array.prototype.slice.call(queue);
  // A page that kept a reference to the loader's proxy keeps working: its pushes now run at once.
  try {
    queue.push = function () {
      for (var i = 0; i < arguments.length; i++) run(arguments[i]);
      return 0;
    };
  } catch (e) {}
  api.q = queue;
  w.komoEmbed = api;
  for (var i = 0; i < pending.length; i++) run(pending[i]);

  scan(d.documentElement);
  if (typeof MutationObserver === 'function') {
    new MutationObserver(function (records) {
      for (var r = 0; r < records.length; r++) {
        var added = records[r].addedNodes;
        for (var n = 0; n < added.length; n++) scan(added[n]);
      }
    }).observe(d.documentElement, { childList: true, subtree: true });
  }
})();
`
