/**
 * The pay page's only script: plain ES2017, no build step, about 2 KB. It reads the embedded
 * state (`#cfg`), runs the countdown against server time, listens to `events?id=…` (Server-Sent
 * Events) and falls back to polling `api?id=…&format=json` every 2 s when EventSource is missing
 * or fails. URLs are relative so a gateway mounted under a path prefix keeps working.
 *
 * The server decides every phase (including the one-minute "return to merchant" threshold); the
 * script only shows it and follows `redirect_url` for `done`, and for `closed` when set.
 */
export const PAY_PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('cfg').textContent);
  var main = document.getElementById('m');
  var cd = document.getElementById('cd');
  var back = document.getElementById('back');
  var offset = cfg.state.server_time_ms - Date.now();
  var state = cfg.state, es = null, timer = null, gone = false, zeroPolled = false;
  var q = '?id=' + encodeURIComponent(cfg.id);

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function tick() {
    if (state.phase !== 'waiting' || !cd) return;
    var left = Math.max(0, Math.floor((state.expire_time * 1000 - Date.now() - offset) / 1000));
    cd.textContent = pad(Math.floor(left / 60)) + ':' + pad(left % 60);
    if (left === 0 && !zeroPolled) { zeroPolled = true; setTimeout(poll, 300); }
  }
  function stop() {
    if (es) { es.close(); es = null; }
    if (timer) { clearInterval(timer); timer = null; }
  }
  function go(url) {
    if (gone || !/^https?:\/\//i.test(url)) return;
    gone = true;
    stop();
    setTimeout(function () { location.replace(url); }, 900);
  }
  function apply(s) {
    if (!s || !s.phase || gone) return;
    state = s;
    offset = s.server_time_ms - Date.now();
    main.setAttribute('data-phase', s.phase);
    if (s.phase === 'delayed' && back && s.redirect_url) back.href = s.redirect_url;
    if (s.phase === 'closed' && !s.redirect_url && timer) { clearInterval(timer); timer = null; }
    if ((s.phase === 'done' || s.phase === 'closed') && s.redirect_url) {
      var r = document.getElementById(s.phase === 'done' ? 'rd' : 'ct');
      if (r) r.hidden = false;
      go(s.redirect_url);
    }
  }
  function poll() {
    if (gone) return;
    var x = new XMLHttpRequest();
    x.open('GET', 'api' + q + '&format=json&_=' + Date.now());
    x.onload = function () {
      if (x.status === 200) { try { apply(JSON.parse(x.responseText)); } catch (e) { /* next poll */ } }
    };
    x.send();
  }
  function startPolling() {
    if (!timer && !gone) timer = setInterval(poll, 2000);
    poll();
  }
  function listen() {
    if (!window.EventSource) { startPolling(); return; }
    es = new EventSource('events' + q);
    es.onmessage = function (e) { try { apply(JSON.parse(e.data)); } catch (err) { /* ignore */ } };
    es.onerror = function () { if (es) { es.close(); es = null; } startPolling(); };
  }

  apply(state);
  if (!gone) {
    tick();
    setInterval(tick, 1000);
    listen();
    // Back from the payment app: the connection may have been dropped while hidden.
    document.addEventListener('visibilitychange', function () { if (!document.hidden) poll(); });
  }
})();`
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '')
  .join('\n');
