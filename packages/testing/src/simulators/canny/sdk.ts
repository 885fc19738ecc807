/**
 * Where the Canny simulator serves its widget SDK stand-in (Canny's own is
 * `https://sdk.canny.io/sdk.js`).
 *
 * @example
 * ```ts
 * script.src = `${cannyUrl}${cannySdkPath}` // http://127.0.0.1:4110/sdk.js
 * ```
 */
export const cannySdkPath = '/sdk.js'

/**
 * The Canny widget SDK stand-in: plain browser JavaScript, no dependencies, served by
 * `cannySimulator` as `text/javascript`.
 *
 * The page defines Canny's queueing loader (`window.Canny = function () { (Canny.q = Canny.q ||
 * []).push(arguments) }`) and loads the script; on load it replays `Canny.q` and replaces
 * `window.Canny` with the real function. `Canny('render', { boardToken, basePath, ssoToken,
 * onLoadCallback })` renders the board into the page's `[data-canny]` element as an iframe of
 * `{simulator}/widget?boardToken=…&basePath=…&ssoToken=…` (the simulator verifies the token
 * server-side); rendering again replaces it (a new user, or none). The element carries
 * `data-canny-state` (`loading`, then `signed-in`, `anonymous` or `error`), and
 * `data-canny-user` (the signed-in user's `id`, never the email) or `data-canny-code` (error);
 * `onLoadCallback` runs once the widget answered. Messages are taken only from the simulator's
 * origin and the widget's own frame.
 */
export const cannySdkSource: string = String.raw`/* Canny widget SDK (local simulator, @sso/testing) */
(function () {
  'use strict';
  var w = window;
  var d = document;
  var previous = w.Canny;
  if (previous && previous.__cannySimulator === true) return;

  var origin = sdkOrigin();
  var current = null;

  function sdkOrigin() {
    var script = d.currentScript;
    var src = script && script.src;
    if (!src) {
      var scripts = d.getElementsByTagName('script');
      for (var i = 0; i < scripts.length; i++) {
        if (/\/sdk\.js(?:[?#]|$)/.test(scripts[i].src || '')) src = scripts[i].src;
      }
    }
    try {
      return new URL(src, d.baseURI).origin;
    } catch (e) {
      return w.location.origin;
    }
  }

  function mark(el, state, extra) {
    el.setAttribute('data-canny-state', state);
    el.removeAttribute('data-canny-user');
    el.removeAttribute('data-canny-code');
    if (extra && extra.user) el.setAttribute('data-canny-user', extra.user);
    if (extra && extra.code) el.setAttribute('data-canny-code', extra.code);
  }

  function render(options) {
    options = options || {};
    var el = d.querySelector('[data-canny]');
    if (!el) return;
    var url = new URL(origin + '/widget');
    url.searchParams.set('boardToken', String(options.boardToken || ''));
    if (options.basePath) url.searchParams.set('basePath', String(options.basePath));
    if (options.ssoToken) url.searchParams.set('ssoToken', String(options.ssoToken));
    var frame = d.createElement('iframe');
    frame.setAttribute('title', 'Canny board');
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.style.width = '100%';
    frame.style.minHeight = '320px';
    frame.style.border = '0';
    frame.src = url.href;
    current = { frame: frame, el: el, onLoad: options.onLoadCallback };
    mark(el, 'loading');
    while (el.firstChild) el.removeChild(el.firstChild);
    el.appendChild(frame);
  }

  w.addEventListener('message', function (event) {
    if (event.origin !== origin || !current || event.source !== current.frame.contentWindow) return;
    var data = event.data;
    if (!data || data.source !== 'canny-simulator') return;
    var state = data.state === 'signed-in' || data.state === 'anonymous' ? data.state : 'error';
    mark(current.el, state, { user: data.user, code: data.code });
    var onLoad = current.onLoad;
    current.onLoad = null;
    if (typeof onLoad === 'function') onLoad();
  });

  function Canny(command, options) {
    if (command === 'render') render(options);
  }
  Canny.__cannySimulator = true;

  var queue = previous && previous.q ? previous.q : [];
  w.Canny = Canny;
  for (var i = 0; i < queue.length; i++) {
    var entry = queue[i];
    Canny(entry[0], entry[1]);
  }
})();
`
