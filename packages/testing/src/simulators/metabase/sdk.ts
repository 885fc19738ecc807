/**
 * Where the Metabase stand-in serves its embedding SDK script.
 *
 * @example
 * ```ts
 * script.src = `${metabaseUrl}${metabaseSdkPath}` // http://127.0.0.1:4112/app/embedding-sdk.js
 * ```
 */
export const metabaseSdkPath = '/app/embedding-sdk.js'

/**
 * The Metabase embedding SDK stand-in: plain browser JavaScript, no dependencies, served by
 * `metabaseSimulator` as `text/javascript`. It plays the SDK's JWT flow: ask the page's
 * `fetchRequestToken()` for `{ jwt }`, exchange it at `{instance}/auth/sso?jwt=…&token=true` for
 * a session (`{ id, exp, iat }`), then read `{instance}/api/user/current` with the
 * `X-Metabase-Session` header, and show who is signed in.
 *
 * Configuration: `window.metabaseConfig = { fetchRequestToken }` set before the script runs, or
 * `window.defineMetabaseConfig({ fetchRequestToken })` at any time (it re-renders). The
 * instance is the origin of the script's own `src`. `fetchRequestToken` must resolve to
 * `{ jwt: string }`; a rejection means "no user" (its `code`, when a string, is shown).
 *
 * Renders into every `[data-metabase-dashboard]` element, now and later (MutationObserver).
 * Each gets `data-metabase-state` (`loading|signed-in|error`), on success `data-metabase-email`
 * and a text "Signed in to Metabase as <email>" with the user's groups, on error
 * `data-metabase-code` (`no_fetch_request_token`, `no_jwt`, the `code` the page's function
 * rejected with, `token_request_failed`, or the simulator's refusal code such as `too_old`).
 * `window.metabaseEmbed` is `{ defineMetabaseConfig, refresh(), signOut() }`; `signOut` drops
 * the session, so the next render asks `fetchRequestToken` again. Only text is written to the
 * DOM (never HTML), and nothing goes to Web Storage.
 *
 * @example
 * ```html
 * <script>window.metabaseConfig = { fetchRequestToken: async () => (await fetch('/sso/metabase/token', { method: 'POST' })).json() }</script>
 * <script defer src="http://127.0.0.1:4112/app/embedding-sdk.js"></script>
 * <div data-metabase-dashboard="1"></div>
 * ```
 */
export const metabaseSdkSource: string = String.raw`/* Metabase embedding SDK (local simulator, @sso/testing) */
(function () {
  'use strict';
  var w = window;
  var d = document;
  if (w.metabaseEmbed && w.metabaseEmbed.__metabaseSimulator === true) return;

  var instance = instanceOrigin();
  var config = w.metabaseConfig || null;
  var session = null;
  var pending = null;
  var generation = 0;

  function instanceOrigin() {
    var script = d.currentScript;
    var src = script && script.src;
    if (!src) {
      var scripts = d.getElementsByTagName('script');
      for (var i = 0; i < scripts.length; i++) {
        if (/\/app\/embedding-sdk\.js(?:[?#]|$)/.test(scripts[i].src || '')) src = scripts[i].src;
      }
    }
    try {
      return new URL(src, d.baseURI).origin;
    } catch (e) {
      return w.location.origin;
    }
  }

  function failure(code) {
    var err = new Error(code);
    err.code = code;
    return err;
  }

  function requestToken() {
    if (!config || typeof config.fetchRequestToken !== 'function') {
      return Promise.reject(failure('no_fetch_request_token'));
    }
    return Promise.resolve()
      .then(function () { return config.fetchRequestToken(); })
      .then(
        function (answer) {
          if (!answer || typeof answer.jwt !== 'string' || answer.jwt === '') throw failure('no_jwt');
          return answer.jwt;
        },
        function (err) {
          throw failure(err && typeof err.code === 'string' ? err.code : 'token_request_failed');
        }
      );
  }

  function json(res) {
    return res.json().then(
      function (body) { return body; },
      function () { return null; }
    ).then(function (body) {
      if (res.ok) return body;
      var code = body && body.error && typeof body.error.code === 'string' ? body.error.code : 'http_' + res.status;
      throw failure(code);
    });
  }

  function exchange(jwt) {
    var url = instance + '/auth/sso?jwt=' + encodeURIComponent(jwt) + '&token=true';
    return fetch(url, { method: 'GET', credentials: 'omit' }).then(json);
  }

  function currentUser(id) {
    return fetch(instance + '/api/user/current', {
      method: 'GET',
      credentials: 'omit',
      headers: { 'X-Metabase-Session': id }
    }).then(json);
  }

  function getSession() {
    if (session) return Promise.resolve(session);
    if (!pending) {
      var gen = generation;
      pending = requestToken().then(exchange).then(
        function (s) {
          pending = null;
          if (gen === generation) session = s;
          return s;
        },
        function (err) {
          pending = null;
          throw err;
        }
      );
    }
    return pending;
  }

  function signedInUser() {
    return getSession().then(function (s) {
      return currentUser(s.id).catch(function (err) {
        // A session Metabase no longer knows: ask the page for a new token once.
        if (err.code !== 'unauthenticated') throw err;
        session = null;
        return getSession().then(function (again) { return currentUser(again.id); });
      });
    });
  }

  function show(el, state, attrs, lines) {
    el.setAttribute('data-metabase-state', state);
    el.removeAttribute('data-metabase-email');
    el.removeAttribute('data-metabase-code');
    for (var name in attrs) el.setAttribute(name, attrs[name]);
    el.textContent = '';
    for (var i = 0; i < lines.length; i++) {
      var p = d.createElement('p');
      p.textContent = lines[i];
      el.appendChild(p);
    }
  }

  function render(el) {
    el.__metabaseRendered = true;
    var dashboard = el.getAttribute('data-metabase-dashboard') || '1';
    show(el, 'loading', {}, ['Loading dashboard ' + dashboard + ' from Metabase…']);
    signedInUser().then(
      function (user) {
        var groups = (user.group_names || []).join(', ');
        show(el, 'signed-in', { 'data-metabase-email': user.email }, [
          'Signed in to Metabase as ' + user.email,
          'Dashboard ' + dashboard + ' for ' + (user.common_name || user.email) + '.',
          'Groups: ' + (groups || 'none')
        ]);
      },
      function (err) {
        var code = err && typeof err.code === 'string' ? err.code : 'sdk_error';
        show(el, 'error', { 'data-metabase-code': code }, [
          code === 'unauthenticated' || code === 'ERR_SSO_UNAUTHENTICATED'
            ? 'Sign in to your app to see this dashboard.'
            : 'Metabase could not load this dashboard (' + code + ').'
        ]);
      }
    );
  }

  function renderAll(force) {
    var els = d.documentElement.querySelectorAll('[data-metabase-dashboard]');
    for (var i = 0; i < els.length; i++) if (force || !els[i].__metabaseRendered) render(els[i]);
  }

  function define(next) {
    config = next || null;
    generation++;
    session = null;
    renderAll(true);
  }

  w.defineMetabaseConfig = define;
  w.metabaseEmbed = {
    __metabaseSimulator: true,
    defineMetabaseConfig: define,
    refresh: function () { renderAll(true); },
    signOut: function () {
      generation++;
      session = null;
      renderAll(true);
    }
  };

  function start() {
    renderAll(false);
    if (typeof MutationObserver === 'function') {
      new MutationObserver(function () { renderAll(false); }).observe(d.documentElement, { childList: true, subtree: true });
    }
  }
  if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', start);
  else start();
})();
`
