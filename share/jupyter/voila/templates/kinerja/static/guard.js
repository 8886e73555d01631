/*
 * Kinerja 360 page guard: what a rater sees as saved is saved, and a lost kernel or connection is said plainly.
 *
 * 1. Saving. The kernel marks every choice with the option the database holds (class "k360-saved-<index>")
 *    and every comment box with the stored text (".k360-saved-text"). While anything on screen differs from
 *    that, the body carries "k360-pending" (the form shows "Menyimpan…" instead of "Tersimpan"), and after
 *    PENDING_SLOW ms "k360-unsaved" (it says some input is not saved) and the connection is checked.
 * 2. Loss. The page's kernel connection (@jupyterlab/services KernelConnection, window.jupyterapp.widgetManager
 *    .kernel, set by k360-page.js) reports dropped websockets and kernel restarts; a kernel_info_request every PROBE_EVERY ms (and
 *    after each input) finds connections that died silently. A drop covers the page and stops input at once
 *    ("waiting"); it lifts when the same kernel, still holding the form, answers again. A kernel that is gone
 *    (404), restarted (a fresh kernel holds no form) or unreachable for good makes it final ("lost"): only a
 *    reload helps, and the reload shows exactly what the database holds.
 */
(function () {
  "use strict";

  var TEXT = {
    waiting: "Koneksi ke server terputus. Mencoba menyambung kembali… Jawaban yang belum tersimpan tidak terkirim.",
    lost: "Koneksi ke server terputus. Jawaban yang belum tersimpan tidak terkirim. " +
      "Muat ulang halaman untuk melanjutkan.",
    reload: "Muat ulang halaman"
  };
  var PROBE_EVERY = 5000;      // heartbeat while the page is visible
  var PROBE_TIMEOUT = 3000;    // no kernel_info_reply within this: check the connection over HTTP
  var HTTP_SLOW = 1500;        // ... and no HTTP answer within this either: the line is down
  var PENDING_SLOW = 3000;     // input still not saved after this: say so and check the connection
  var START_TIMEOUT = 20000;   // no kernel connection this long after load: check whether the kernel exists

  var state = "starting";      // starting | ok | waiting | lost
  var kernel = null;
  var probing = false;
  var pendingSince = 0;
  var timers = [];

  function body() { return document.body; }

  // ------------------------------------------------------------------ the cover shown while input is stopped

  function cover() {
    var el = document.getElementById("k360-guard");
    if (el) { return el; }
    el = document.createElement("div");
    el.id = "k360-guard";
    el.setAttribute("role", "alertdialog");
    el.setAttribute("aria-live", "assertive");
    el.setAttribute("aria-modal", "true");
    el.style.cssText = "position:fixed;inset:0;z-index:10000;display:none;align-items:center;" +
      "justify-content:center;background:rgba(248,250,252,.88);padding:16px;box-sizing:border-box;";
    var card = document.createElement("div");
    card.style.cssText = "max-width:520px;background:#fff5f5;border:1px solid #f5c2c2;border-radius:12px;" +
      "padding:18px 20px;color:#1f2933;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;" +
      "box-shadow:0 4px 16px rgba(16,42,67,.15);";
    var text = document.createElement("p");
    text.className = "k360-guard-text";
    text.style.cssText = "margin:0 0 12px 0;";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "k360-reload";
    button.textContent = TEXT.reload;
    button.style.cssText = "background:#12355b;color:#fff;border:0;border-radius:8px;padding:9px 16px;" +
      "font-size:15px;cursor:pointer;";
    card.appendChild(text);
    card.appendChild(button);
    el.appendChild(card);
    body().appendChild(el);
    return el;
  }

  // After a drop, a widget message lost with the old connection never gets its "idle": ipywidgets would then
  // hold every later change of that widget back (one message in flight per widget), and the page would keep
  // showing a click the kernel never had. So the widgets' in-flight counts are cleared and their state is
  // fetched again from the kernel, which shows the lost click as not made.
  function resyncWidgets() {
    var manager = window.jupyterapp && window.jupyterapp.widgetManager;
    if (manager && manager.resync) { manager.resync().then(soon, soon); }
  }

  function setState(next) {
    if (state === "lost" || state === next) { return; }
    var previous = state;
    state = next;
    body().setAttribute("data-k360-connection", next);
    var cells = document.getElementById("rendered_cells");
    var el = cover();
    if (next === "ok") {
      el.style.display = "none";
      if (cells) { cells.inert = false; }
      if (previous === "waiting") { resyncWidgets(); }
      evaluate();
      return;
    }
    el.querySelector(".k360-guard-text").textContent = TEXT[next] || TEXT.waiting;
    el.style.display = "flex";
    if (cells) { cells.inert = true; }
    if (document.activeElement && document.activeElement.blur) { document.activeElement.blur(); }
    if (next === "lost") { finish(); }
  }

  function finish() {
    timers.forEach(clearInterval);
    timers = [];
    if (!kernel) { return; }
    var k = kernel;
    kernel = null;
    // a restarted kernel holds no form: free it now instead of at the idle cull
    httpCheck(k).then(function (result) {
      if (result !== "gone" && result !== "offline") {
        try { navigator.sendBeacon(k.serverSettings.baseUrl + "voila/api/shutdown/" + k.id, new FormData()); }
        catch (e) { /* nothing more to do */ }
      }
      try { k.dispose(); } catch (e) { /* already gone */ }
    });
  }

  // Input while the cover is up never reaches a widget, keyboard included.
  ["click", "keydown", "keyup", "input", "change", "pointerdown", "touchstart"].forEach(function (type) {
    window.addEventListener(type, function (event) {
      if (state === "waiting" || state === "lost") {
        var t = event.target;
        if (t && t.closest && t.closest("#k360-guard")) { return; }
        event.stopPropagation();
        event.preventDefault();
      }
    }, true);
  });

  // The reload buttons (the cover's, and the one a stopped form shows).
  document.addEventListener("click", function (event) {
    var t = event.target;
    if (t && t.closest && t.closest(".k360-reload")) {
      event.preventDefault();
      window.location.reload();
    }
  }, true);

  // ------------------------------------------------------------------ is the kernel still there?

  function withTimeout(promise, ms) {
    return new Promise(function (resolve, reject) {
      var t = setTimeout(function () { reject(new Error("timeout")); }, ms);
      promise.then(function (v) { clearTimeout(t); resolve(v); }, function (e) { clearTimeout(t); reject(e); });
    });
  }

  // "gone" (the server does not know the kernel), "offline" (no answer), or the kernel's model.
  function httpCheck(k) {
    var url = k.serverSettings.baseUrl + "api/kernels/" + encodeURIComponent(k.id) + "?_=" + Date.now();
    return withTimeout(fetch(url, { cache: "no-store", credentials: "same-origin" }), 4000)
      .then(function (r) {
        if (r.status === 404) { return "gone"; }
        if (!r.ok) { return "offline"; }
        return r.json();
      })
      .catch(function () { return "offline"; });
  }

  // After a (re)connection: a kernel that was restarted meanwhile holds no widgets, so no form.
  function verify() {
    if (!kernel || state === "lost") { return; }
    withTimeout(kernel.requestCommInfo({ target_name: "jupyter.widget" }), PROBE_TIMEOUT * 2)
      .then(function (reply) {
        var comms = (reply && reply.content && reply.content.comms) || {};
        setState(Object.keys(comms).length ? "ok" : "lost");
      }, function () { setState("waiting"); });
  }

  function probe() {
    if (!kernel || probing || state === "lost" || state === "starting") { return; }
    probing = true;
    var k = kernel;
    withTimeout(k.requestKernelInfo(), PROBE_TIMEOUT).then(function () {
      probing = false;
      if (state === "waiting" && k.connectionStatus === "connected") { verify(); }
    }, function () {
      var slow = setTimeout(function () { setState("waiting"); }, HTTP_SLOW);
      httpCheck(k).then(function (result) {
        clearTimeout(slow);
        probing = false;
        if (result === "gone") { setState("lost"); return; }
        if (result === "offline") { setState("waiting"); return; }
        if (result.execution_state === "busy" || result.execution_state === "starting") {
          // reachable and working, only slow (a big form being built): no reason to stop the rater
          if (k.connectionStatus === "connected") { setState("ok"); }
          return;
        }
        // the server can reach an idle kernel but our websocket brought no answer: it died silently
        setState("waiting");
        if (k.connectionStatus === "connected") { k.reconnect().catch(function () {}); }
      });
    });
  }

  function watch(k) {
    kernel = k;
    k.connectionStatusChanged.connect(function (_, status) {
      if (status === "connected") { verify(); }
      else if (status === "connecting") {
        setState("waiting");
        httpCheck(k).then(function (result) { if (result === "gone") { setState("lost"); } });
      } else if (status === "disconnected") { setState("lost"); }
    });
    k.statusChanged.connect(function (_, status) {
      if (status === "restarting" || status === "autorestarting" || status === "dead") { setState("lost"); }
    });
    if (k.connectionStatus === "connected") { verify(); }
    timers.push(setInterval(function () {
      if (document.visibilityState === "visible") { probe(); }
    }, PROBE_EVERY));
    timers.push(setInterval(evaluate, 1000));
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { probe(); }
    });
  }

  // ------------------------------------------------------------------ is everything on screen saved?

  function savedIndex(el) {
    for (var i = 0; i < el.classList.length; i++) {
      var c = el.classList[i];
      if (c.indexOf("k360-saved-") === 0) { return parseInt(c.slice(11), 10); }
    }
    return -1;
  }

  function evaluate() {
    if (!body()) { return; }
    var pending = false;
    var choices = document.querySelectorAll(".k360-answer, .k360-decision");
    for (var i = 0; i < choices.length; i++) {
      var w = choices[i];
      var buttons = w.querySelectorAll("button");
      var shown = -1;
      for (var j = 0; j < buttons.length; j++) {
        if (buttons[j].classList.contains("mod-active")) { shown = j; }
      }
      var differs = shown !== savedIndex(w);
      var item = w.closest(".k360-item") || w;
      item.classList.toggle("k360-item-unsaved", differs);
      pending = pending || differs;
    }
    var comments = document.querySelectorAll(".k360-comment");
    for (var n = 0; n < comments.length; n++) {
      var box = comments[n].querySelector("textarea");
      var stored = comments[n].querySelector(".k360-saved-text");
      if (box && stored && document.activeElement !== box && box.value !== stored.textContent) { pending = true; }
    }
    var b = body();
    if (!pending) {
      pendingSince = 0;
      b.classList.remove("k360-pending", "k360-unsaved");
      return;
    }
    b.classList.add("k360-pending");
    var now = Date.now();
    if (!pendingSince) { pendingSince = now; }
    if (now - pendingSince >= PENDING_SLOW && !b.classList.contains("k360-unsaved")) {
      b.classList.add("k360-unsaved");
      probe();
    }
  }

  var scheduled = false;
  function soon() {
    if (scheduled) { return; }
    scheduled = true;
    setTimeout(function () { scheduled = false; evaluate(); }, 50);
  }

  // ------------------------------------------------------------------ start

  function start() {
    var started = Date.now();
    new MutationObserver(soon).observe(body(), {
      subtree: true, childList: true, attributes: true, attributeFilter: ["class"], characterData: true
    });
    ["click", "change", "input", "focusout"].forEach(function (type) {
      document.addEventListener(type, function () { soon(); setTimeout(probe, 400); }, true);
    });
    var wait = setInterval(function () {
      var app = window.jupyterapp;
      var k = app && app.widgetManager && app.widgetManager.kernel;
      if (k) {
        clearInterval(wait);
        state = "ok";
        watch(k);
      } else if (Date.now() - started > START_TIMEOUT) {
        clearInterval(wait);
        var id = (JSON.parse((document.getElementById("jupyter-config-data") || {}).textContent || "{}")).kernelId;
        var base = (JSON.parse((document.getElementById("jupyter-config-data") || {}).textContent || "{}")).baseUrl;
        if (id && base) {
          httpCheck({ id: id, serverSettings: { baseUrl: base } }).then(function (result) {
            if (result === "gone") { state = "ok"; setState("lost"); }
          });
        }
      }
    }, 200);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
