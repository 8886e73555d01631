/*
 * Kinerja 360 page helper: the forms usable by keyboard, screen reader and thumb (WCAG 2.1 AA).
 *
 * ipywidgets draws an answer scale as a row of plain buttons: no radio semantics, one tab stop per option. Here
 * every scale (.k360-scale) becomes a labelled radio group: role="radiogroup" named by its item's text,
 * role="radio" with aria-checked on each option, one tab stop (the chosen option, else the first), arrow keys
 * and Home/End move and choose. The page keeps its place: when the kernel redraws a scale the focus goes back
 * to the same option.
 *
 * Also: text boxes named by their label; "Butir berikutnya yang belum diisi" and the "Belum diisi" codes jump to
 * that item (.k360-next, .k360-jump); the submit confirmation is brought into view and focused; opening a form
 * adds a history entry, so the phone's back gesture returns to the list instead of leaving the page; the page
 * title follows the page heading. It changes nothing the kernel relies on: a choice is still a click.
 */
(function () {
  "use strict";

  var seq = 0;
  var lastFocus = null;   // {group, index, at}: the option a keyboard user was on, to restore after a redraw
  var formOpen = false;
  var ignorePop = false;

  function idFor(el, prefix) {
    if (!el.id) { el.id = prefix + "-" + (++seq); }
    return el.id;
  }

  function content(widget) {
    if (!widget) { return null; }
    return widget.querySelector(".widget-html-content") || widget;
  }

  // the item text a scale belongs to: the HTML widget just before it in its box
  function labelFor(group) {
    var prev = group.previousElementSibling;
    while (prev && !prev.classList.contains("widget-html")) { prev = prev.previousElementSibling; }
    return content(prev);
  }

  function buttonsOf(group) {
    return Array.prototype.slice.call(group.querySelectorAll("button.widget-toggle-button"));
  }

  function enhanceGroup(group) {
    var buttons = buttonsOf(group);
    if (!buttons.length) { return; }
    if (group.getAttribute("role") !== "radiogroup") {
      group.setAttribute("role", "radiogroup");
      var label = labelFor(group);
      if (label) { group.setAttribute("aria-labelledby", idFor(label, "k360-label")); }
    }
    var checked = -1;
    buttons.forEach(function (b, i) { if (b.classList.contains("mod-active")) { checked = i; } });
    var anyEnabled = buttons.some(function (b) { return !b.disabled; });
    group.setAttribute("aria-disabled", anyEnabled ? "false" : "true");
    buttons.forEach(function (b, i) {
      if (b.getAttribute("role") !== "radio") { b.setAttribute("role", "radio"); }
      var state = i === checked ? "true" : "false";
      if (b.getAttribute("aria-checked") !== state) { b.setAttribute("aria-checked", state); }
      var tab = (checked >= 0 ? i === checked : i === 0) ? "0" : "-1";
      if (b.getAttribute("tabindex") !== tab) { b.setAttribute("tabindex", tab); }
      var name = b.getAttribute("title") || b.textContent;
      if (name && b.getAttribute("aria-label") !== name) { b.setAttribute("aria-label", name); }
    });
    // a redraw replaced the option a keyboard user was on: put the focus back on its successor
    if (lastFocus && lastFocus.group === group && Date.now() - lastFocus.at < 3000 &&
        (document.activeElement === document.body || !document.activeElement) && buttons[lastFocus.index]) {
      buttons[lastFocus.index].focus({ preventScroll: true });
    }
  }

  function labelInputs(root) {
    var boxes = root.querySelectorAll("textarea, input[type=text], select");
    Array.prototype.forEach.call(boxes, function (box) {
      if (box.hasAttribute("aria-label") || box.hasAttribute("aria-labelledby") || box.labels && box.labels.length &&
          box.labels[0].textContent.trim()) { return; }
      var name = box.getAttribute("placeholder") || box.getAttribute("title");
      if (name) { box.setAttribute("aria-label", name); }
    });
  }

  function enhance() {
    Array.prototype.forEach.call(document.querySelectorAll(".k360-scale"), enhanceGroup);
    labelInputs(document);
    var h1 = document.querySelector(".k360-header h1, .k360-denied h1");
    if (h1 && document.title !== h1.textContent + " — Kinerja 360") { document.title = h1.textContent + " — Kinerja 360"; }
    watchForm();
    watchConfirm();
  }

  // ------------------------------------------------------------------ keyboard on the radio groups

  document.addEventListener("keydown", function (event) {
    var button = event.target;
    if (!button || !button.closest) { return; }
    var group = button.closest(".k360-scale");
    if (!group || button.getAttribute("role") !== "radio") { return; }
    var buttons = buttonsOf(group).filter(function (b) { return !b.disabled; });
    var i = buttons.indexOf(button);
    var next = -1;
    if (event.key === "ArrowRight" || event.key === "ArrowDown") { next = (i + 1) % buttons.length; }
    else if (event.key === "ArrowLeft" || event.key === "ArrowUp") { next = (i - 1 + buttons.length) % buttons.length; }
    else if (event.key === "Home") { next = 0; }
    else if (event.key === "End") { next = buttons.length - 1; }
    if (next < 0 || !buttons.length) { return; }
    event.preventDefault();
    var target = buttons[next];
    target.focus();
    if (!target.classList.contains("mod-active")) { target.click(); }
  });

  document.addEventListener("focusin", function (event) {
    var t = event.target;
    var group = t && t.closest && t.closest(".k360-scale");
    lastFocus = group ? { group: group, index: buttonsOf(group).indexOf(t), at: Date.now() } : null;
  });
  document.addEventListener("click", function (event) {
    var t = event.target;
    var group = t && t.closest && t.closest(".k360-scale");
    if (group) { lastFocus = { group: group, index: buttonsOf(group).indexOf(t.closest("button")), at: Date.now() }; }
  }, true);

  // ------------------------------------------------------------------ jumps to unanswered items

  function focusItem(item) {
    if (!item) { return; }
    item.scrollIntoView({ block: "center", behavior: "smooth" });
    var radio = item.querySelector('[role="radio"][tabindex="0"]') || item.querySelector("button");
    if (radio) { radio.focus({ preventScroll: true }); }
    item.classList.add("k360-item-flash");
    setTimeout(function () { item.classList.remove("k360-item-flash"); }, 1600);
  }

  function firstUnanswered() {
    var items = Array.prototype.slice.call(document.querySelectorAll(".k360-item.k360-unanswered"));
    return items[0] || null;
  }

  document.addEventListener("click", function (event) {
    var t = event.target && event.target.closest && event.target.closest(".k360-next, .k360-jump");
    if (!t) { return; }
    event.preventDefault();
    var code = t.getAttribute("data-item");
    focusItem(code ? document.querySelector('.k360-item[data-k360-item="' + code + '"]') ||
      document.querySelector(".k360-item-" + code.replace(/[^A-Za-z0-9_-]/g, "-")) : firstUnanswered());
  });

  // ------------------------------------------------------------------ the confirmation, in view and focused

  var confirmShown = false;
  function watchConfirm() {
    var box = document.querySelector(".k360-confirm");
    // (a fixed element has no offsetParent: ask for its boxes instead)
    var shown = !!(box && box.getClientRects().length && getComputedStyle(box).display !== "none");
    if (shown && !confirmShown) {
      box.setAttribute("role", "alertdialog");
      var text = box.querySelector(".widget-html-content");
      if (text) { box.setAttribute("aria-labelledby", idFor(text, "k360-confirm")); }
      var yes = box.querySelector("button.mod-success") || box.querySelector("button");
      if (yes) {
        box.scrollIntoView({ block: "center" });
        yes.focus({ preventScroll: true });
      }
    }
    confirmShown = shown;
  }

  // ------------------------------------------------------------------ back gesture returns to the list

  function watchForm() {
    var open = !!document.querySelector(".k360-form");
    if (open === formOpen) { return; }
    formOpen = open;
    if (open) {
      if (!(history.state && history.state.k360 === "form")) { history.pushState({ k360: "form" }, ""); }
      window.scrollTo(0, 0);
    } else if (history.state && history.state.k360 === "form") {
      ignorePop = true;   // left the form with its own button: drop the entry it added
      history.back();
    }
  }

  window.addEventListener("popstate", function () {
    if (ignorePop) { ignorePop = false; return; }
    var back = document.querySelector(".k360-form .k360-back");
    if (back && formOpen) { back.click(); }
  });

  // a reload of a page that had a form open starts on the list: the old entry means nothing any more
  if (history.state && history.state.k360 === "form") { history.replaceState(null, ""); }

  // ------------------------------------------------------------------ start

  var scheduled = false;
  function soon() {
    if (scheduled) { return; }
    scheduled = true;
    (window.requestAnimationFrame || setTimeout)(function () { scheduled = false; enhance(); });
  }

  function start() {
    new MutationObserver(soon).observe(document.body, {
      subtree: true, childList: true, attributes: true, attributeFilter: ["class", "disabled", "style", "title"]
    });
    enhance();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
