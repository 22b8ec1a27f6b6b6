/* Taking an exam on a flaky phone connection.
 *
 * Every answer is sent to the autosave API as it is given (PUT /api/v1/attempts/<id>/answers). Answers not yet
 * acknowledged are kept in localStorage and sent again when the connection comes back or the page is reloaded.
 * The countdown starts from the seconds left according to the server (no trust in the phone's clock); at zero
 * the attempt is submitted, and the server grades only what it saved before its deadline.
 */
(function () {
  "use strict";

  var form = document.getElementById("exam-form");
  if (!form) { return; }
  var attemptId = form.dataset.attempt;
  var api = "/api/v1/attempts/" + attemptId;
  var storeKey = "dangjian-exam-" + attemptId;
  var stateEl = document.getElementById("save-state");
  var clockEl = document.getElementById("exam-clock");
  var progressEl = document.getElementById("exam-progress");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var pending = {};
  var inflight = false;
  var finished = false;
  var retryTimer = null;

  try { pending = JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { pending = {}; }

  function persist() {
    try { localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* private mode: memory only */ }
  }

  function setState(state) {
    stateEl.dataset.state = state;
    stateEl.textContent = stateEl.getAttribute("data-label-" + state) || state;
  }

  function questionEl(qid) { return form.querySelector('.question[data-qid="' + qid + '"]'); }

  function markQuestion(qid, state) {
    var el = questionEl(qid);
    if (!el) { return; }
    var mark = el.querySelector(".q-state");
    mark.dataset.state = state;
    mark.textContent = state === "saved" ? "✓ " + stateEl.getAttribute("data-label-saved") : (state === "saving" ? "…" : "");
  }

  function valueOf(el) {
    var type = el.dataset.type;
    var inputs = el.querySelectorAll("input");
    if (type === "multiple") {
      var ids = [];
      inputs.forEach(function (i) { if (i.checked) { ids.push(i.value); } });
      return ids.length ? ids : null;
    }
    if (type === "blank") {
      var texts = [];
      inputs.forEach(function (i) { texts.push(i.value); });
      if (!texts.some(function (t) { return t.trim() !== ""; })) { return null; }
      return texts.length === 1 ? texts[0] : texts;
    }
    var chosen = null;
    inputs.forEach(function (i) { if (i.checked) { chosen = i.value; } });
    if (type === "judge" && chosen !== null) { return chosen === "true"; }
    return chosen;
  }

  function apply(el, value) {
    var type = el.dataset.type;
    var inputs = el.querySelectorAll("input");
    if (type === "blank") {
      var list = Array.isArray(value) ? value : [value == null ? "" : value];
      inputs.forEach(function (i, n) { i.value = list[n] || ""; });
      return;
    }
    var wanted = Array.isArray(value) ? value.map(String) : [String(value)];
    inputs.forEach(function (i) { i.checked = wanted.indexOf(i.value) >= 0; });
  }

  function updateProgress() {
    var done = 0;
    form.querySelectorAll(".question").forEach(function (el) { if (valueOf(el) !== null) { done += 1; } });
    progressEl.textContent = done + "/" + progressEl.dataset.total;
  }

  function scheduleRetry() {
    if (retryTimer || finished) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, 4000);
  }

  function flush() {
    var keys = Object.keys(pending);
    if (inflight || finished) { return Promise.resolve(false); }
    if (!keys.length) { setState("saved"); return Promise.resolve(true); }
    inflight = true;
    setState("saving");
    var sent = {};
    keys.forEach(function (k) { sent[k] = pending[k]; markQuestion(k, "saving"); });
    return fetch(api + "/answers", {
      method: "PUT", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"},
      body: JSON.stringify({answers: sent})
    }).then(function (response) {
      inflight = false;
      if (response.ok) {
        keys.forEach(function (k) {
          if (JSON.stringify(pending[k]) === JSON.stringify(sent[k])) { delete pending[k]; }
          markQuestion(k, "saved");
        });
        persist();
        if (Object.keys(pending).length) { return flush(); }
        setState("saved");
        return true;
      }
      if (response.status === 409) {  // deadline passed or already submitted: the server decides
        setState("late");
        finish();
        return false;
      }
      setState("error");
      return false;
    }).catch(function () {
      inflight = false;
      setState("offline");
      keys.forEach(function (k) { markQuestion(k, "empty"); });
      scheduleRetry();
      return false;
    });
  }

  function remember(el) {
    var qid = el.dataset.qid;
    pending[qid] = valueOf(el);
    persist();
    updateProgress();
    flush();
  }

  var typing = {};
  form.addEventListener("change", function (event) {
    var el = event.target.closest(".question");
    if (el) { remember(el); }
  });
  form.addEventListener("input", function (event) {
    var el = event.target.closest(".question");
    if (!el || el.dataset.type !== "blank") { return; }
    clearTimeout(typing[el.dataset.qid]);
    typing[el.dataset.qid] = setTimeout(function () { remember(el); }, 800);
  });
  window.addEventListener("online", flush);

  function finish() {
    if (finished) { return; }
    finished = true;
    try { localStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
    form.submit();
  }

  // Wait for a save under way (e.g. the one a blank's "change" starts when the submit button takes the focus).
  function settle(tries) {
    if (!inflight) { return flush(); }
    if (tries <= 0) { return Promise.resolve(false); }
    return new Promise(function (resolve) { setTimeout(resolve, 150); }).then(function () { return settle(tries - 1); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (finished) { return; }
    form.querySelectorAll(".question[data-type=blank]").forEach(function (el) {
      clearTimeout(typing[el.dataset.qid]);
      var value = valueOf(el);
      if (JSON.stringify(value) !== JSON.stringify(pending[el.dataset.qid])) { pending[el.dataset.qid] = value; }
    });
    if (window.confirm(form.dataset.confirm)) {
      settle(60).then(function (ok) {
        if (ok || Object.keys(pending).length === 0) { finish(); }
        else if (stateEl.dataset.state === "offline") { window.alert(form.dataset.offlineSubmit); }
      });
    }
  });

  // Answers given while the page was away (offline, reloaded) win over what the server had.
  Object.keys(pending).forEach(function (qid) {
    var el = questionEl(qid);
    if (el) { apply(el, pending[qid]); } else { delete pending[qid]; }
  });
  updateProgress();
  flush();

  var end = Date.now() + parseInt(clockEl.dataset.remaining, 10) * 1000;
  var clockText = clockEl.querySelector("b");
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    clockText.textContent = (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(s);
    clockEl.classList.toggle("warn", left <= 60);
    if (left <= 0) {
      setState("late");
      flush().then(finish, finish);
      return;
    }
    setTimeout(tick, 1000 - (Date.now() % 1000));
  }
  tick();
})();
