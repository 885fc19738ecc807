/**
 * Where the Featurebase simulator serves its SDK stand-in, as Featurebase's snippet loads the
 * real one (`https://do.featurebase.app/js/sdk.js`).
 *
 * @example
 * ```ts
 * script.src = `${portalUrl}${featurebaseSdkPath}` // http://127.0.0.1:4111/js/sdk.js
 * ```
 */
export const featurebaseSdkPath = '/js/sdk.js'

/** Where the SDK stand-in sends `boot`'s `{ appId, featurebaseJwt }` to be verified. */
export const featurebaseSdkBootPath = '/api/v1/sdk/boot'

/**
 * The Featurebase SDK stand-in: plain browser JavaScript, no dependencies, served by
 * `featurebaseSimulator` as `text/javascript`.
 *
 * The page defines `window.Featurebase` as Featurebase's snippet does (a function that pushes
 * its `arguments` onto `Featurebase.q`) and loads this script. On load it replays the queue and
 * replaces `window.Featurebase` with a function of its own. Methods:
 * - `Featurebase('boot', { appId, featurebaseJwt, ...settings }, callback?)`: with a token,
 *   POSTs `{ appId, featurebaseJwt }` to `{portal origin}/api/v1/sdk/boot` (the origin of the
 *   script's own `src`), where the simulator verifies it; without one, the visitor is anonymous.
 *   `callback(error, result)` runs when it settles: `(null, { user })`, `(null, { user: null })`
 *   for an anonymous boot, or `({ code, message })`.
 * - `Featurebase('shutdown')`: forgets the user (state `idle`); a boot still in flight is ignored.
 *
 * The DOM marker: every `[data-featurebase-widget]` element (one is appended to `<body>` if the
 * page has none) carries `data-featurebase-state` (`idle|loading|anonymous|signed-in|error`),
 * `data-featurebase-email` when signed in, `data-featurebase-code` on error, and shows
 * `Signed in to Featurebase as <email>` (with the name) or the refusal.
 *
 * @example
 * ```ts
 * import vm from 'node:vm'
 * vm.runInContext(featurebaseSdkSource, contextWithAFakeDom)
 * ```
 */
export const featurebaseSdkSource: string = String.raw`/* Featurebase SDK (local simulator, @sso/testing) */
(function () {
  'use strict';
  var w = window;
  var d = document;
  var previous = w.Featurebase;
  if (previous && previous.__featurebaseSimulator === true) return;

  var portal = portalOrigin();
  var generation = 0;
  var state = { name: 'idle' };

  function portalOrigin() {
    var script = d.currentScript;
    var src = script && script.src;
    if (!src && d.getElementsByTagName) {
      var scripts = d.getElementsByTagName('script');
      for (var i = 0; i < scripts.length; i++) {
        if (/\/js\/sdk\.js(?:[?#]|$)/.test(scripts[i].src || '')) src = scripts[i].src;
      }
    }
    try {
      return new URL(src, d.baseURI).origin;
    } catch (e) {
      return w.location.origin;
    }
  }

  function widgets() {
    var found = d.documentElement.querySelectorAll('[data-featurebase-widget]');
    if (found.length > 0 || !d.body) return found;
    var el = d.createElement('div');
    el.setAttribute('data-featurebase-widget', '');
    d.body.appendChild(el);
    return [el];
  }

  function render() {
    var list = widgets();
    for (var i = 0; i < list.length; i++) {
      var el = list[i];
      el.setAttribute('data-featurebase-state', state.name);
      if (state.name === 'signed-in') el.setAttribute('data-featurebase-email', state.user.email || '');
      else el.removeAttribute('data-featurebase-email');
      if (state.name === 'error') el.setAttribute('data-featurebase-code', state.code);
      else el.removeAttribute('data-featurebase-code');
      var text = '';
      if (state.name === 'loading') text = 'Connecting to Featurebase…';
      if (state.name === 'anonymous') text = 'Browsing Featurebase anonymously';
      if (state.name === 'signed-in') {
        text = 'Signed in to Featurebase as ' + (state.user.email || state.user.userId);
        if (state.user.name) text += ' (' + state.user.name + ')';
      }
      if (state.name === 'error') text = state.message;
      el.textContent = text;
    }
  }

  function settle(callback, error, result) {
    if (typeof callback !== 'function') return;
    try {
      callback(error, result);
    } catch (e) {
      if (w.console) w.console.error(e);
    }
  }

  function boot(settings, callback) {
    var options = settings && typeof settings === 'object' ? settings : {};
    var gen = ++generation;
    var jwt = options.featurebaseJwt;
    if (jwt === undefined || jwt === null) {
      state = { name: 'anonymous' };
      render();
      settle(callback, null, { user: null });
      return;
    }
    state = { name: 'loading' };
    render();
    fetch(portal + '/api/v1/sdk/boot', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ appId: options.appId, featurebaseJwt: jwt }),
      credentials: 'omit',
    })
      .then(function (response) {
        return response.json().then(
          function (body) {
            return { ok: response.ok, body: body || {} };
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
            state = { name: 'signed-in', user: result.body.user };
            render();
            settle(callback, null, { user: result.body.user });
            return;
          }
          var error = result.body.error || {};
          state = {
            name: 'error',
            code: error.code || 'boot_failed',
            message: error.message || 'Featurebase could not sign you in.',
          };
          render();
          settle(callback, { code: state.code, message: state.message });
        },
        function () {
          if (gen !== generation) return;
          state = { name: 'error', code: 'network_error', message: 'Featurebase could not be reached.' };
          render();
          settle(callback, { code: state.code, message: state.message });
        },
      );
  }

  var api = {
    boot: boot,
    shutdown: function () {
      generation++;
      state = { name: 'idle' };
      render();
    },
  };

  function run(args) {
    var list = Array.prototype.slice.call(args || []);
    var method = list[0];
    if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(api, method)) {
      if (w.console) w.console.warn('Featurebase: unknown method ' + String(method));
      return;
    }
    try {
      api[method](list[1], list[2]);
    } catch (e) {
      if (w.console) w.console.error(e);
    }
  }

  var queue = previous && previous.q && typeof previous.q.length === 'number' ? previous.q : [];
  var pending = Array.prototype.slice.call(queue);
  var Featurebase = function () {
    run(arguments);
  };
  Featurebase.__featurebaseSimulator = true;
  Featurebase.q = queue;
  // A page that kept the snippet's function keeps working: its pushes now run at once.
  try {
    queue.push = function () {
      for (var i = 0; i < arguments.length; i++) run(arguments[i]);
      return 0;
    };
  } catch (e) {}
  w.Featurebase = Featurebase;
  if (previous && previous !== Featurebase) {
    try {
      previous.q = queue;
    } catch (e) {}
  }
  render();
  for (var i = 0; i < pending.length; i++) run(pending[i]);
})();
`
