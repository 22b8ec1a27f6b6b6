/* Study-time heartbeats: every 15 s while the page is visible and the media plays (or the reader is active).
 * The server decides what to credit; this only reports the state. No build step. */
(function () {
  "use strict";
  var root = document.querySelector("[data-heartbeat]");
  if (!root) { return; }
  var INTERVAL = 1000 * (parseInt(root.getAttribute("data-interval"), 10) || 15);
  var IDLE = 60000; // a reader who has not scrolled, touched or typed for a minute is not reading
  var url = root.getAttribute("data-heartbeat");
  var resource = parseInt(root.getAttribute("data-resource"), 10);
  var resume = parseFloat(root.getAttribute("data-resume") || "0") || 0;
  var duration = parseFloat(root.getAttribute("data-duration") || "0") || 0;
  var media = root.querySelector("video, audio");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : "";
  var totalEl = root.querySelector("[data-total]");
  var timer = null;
  var readClock = resume; // documents: seconds of active reading, the "position" of a reader
  var lastActivity = Date.now();
  var lastTick = Date.now();

  function visible() { return document.visibilityState === "visible"; }
  function readerActive() { return visible() && Date.now() - lastActivity < IDLE; }
  function playing() { return media ? !media.paused && !media.ended : readerActive(); }
  function position() {
    var p = media ? media.currentTime : readClock;
    if (duration) { p = Math.min(p, duration); }
    return Math.max(0, p || 0);
  }
  var unitMin = root.getAttribute("data-unit-min") || "min";
  var unitH = root.getAttribute("data-unit-h") || "h";
  function minutes(s) {
    var m = Math.max(1, Math.round(s / 60));
    return m < 60 ? m + " " + unitMin : Math.floor(m / 60) + " " + unitH + " " + (m % 60) + " " + unitMin;
  }

  function send(active) {
    var body = JSON.stringify({ resource: resource, position: position(), playing: active, visible: visible() });
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: true, body: body,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (data && totalEl && data.total_seconds > 0) { totalEl.textContent = minutes(data.total_seconds); }
      root.setAttribute("data-last-credit", data ? String(data.credited_seconds) : "error");
    }).catch(function () { root.setAttribute("data-last-credit", "error"); });
  }

  function tick() {
    var now = Date.now();
    if (!media && readerActive()) { readClock += (now - lastTick) / 1000; }
    lastTick = now;
    if (playing() && visible()) { send(true); } else { stop(); }
  }
  function start() {
    if (timer || !visible()) { return; }
    lastTick = Date.now();
    send(true);
    timer = window.setInterval(tick, INTERVAL);
  }
  function stop() {
    if (!timer) { return; }
    window.clearInterval(timer);
    timer = null;
    send(false);
  }

  if (media) {
    var resumed = false;
    var applyResume = function () {
      if (resumed) { return; }
      resumed = true;
      if (!duration && media.duration && isFinite(media.duration)) { duration = media.duration; }
      if (resume > 1 && (!duration || resume < duration - 5)) { media.currentTime = resume; }
    };
    // The metadata may already be there when this deferred script runs (a fast or cached load).
    if (media.readyState >= 1) { applyResume(); } else { media.addEventListener("loadedmetadata", applyResume); }
    media.addEventListener("play", start);
    media.addEventListener("pause", function () { if (!media.ended) { stop(); } });
    media.addEventListener("ended", function () {
      // The last stretch up to the end was played: report it as playing, then stop the clock.
      if (timer) { window.clearInterval(timer); timer = null; }
      send(true);
    });
  } else {
    ["scroll", "keydown", "pointerdown", "touchstart", "wheel"].forEach(function (name) {
      window.addEventListener(name, function () { lastActivity = Date.now(); if (!timer) { start(); } }, { passive: true });
    });
    start();
  }

  document.addEventListener("visibilitychange", function () {
    if (visible()) {
      lastActivity = Date.now();
      if (!media || !media.paused) { start(); }
    } else {
      stop();
    }
  });
  window.addEventListener("pagehide", stop);
})();
