"""Pieces shared by the rater form and the admin dashboard: style sheet, escaping, messages, guarded callbacks."""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from ipywidgets.widgets.widget_string import HTMLStyle  # not exported at the top level

from ..errors import AccessDenied, DatabaseReplaced, KinerjaError
from .messages import DENIED_HELP, DENIED_TITLE, GENERIC_ERROR, HALTED_TITLE, RELOAD

log = logging.getLogger("kinerja_lib.forms")

CSS = """
<style>
.k360 { max-width: 920px; margin: 0 auto; color: #1f2933; font-size: 15px; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; }
.k360 .widget-html-content { font-size: 15px; line-height: 1.45; }
.k360 .widget-html, .k360 .widget-html-content { box-sizing: border-box; max-width: 100%; }
/* the progress bar sticks to the top while scrolling: no clipping boxes between it and the page */
.jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output, .k360 .widget-box, .k360.widget-box {
  overflow: visible !important; }
.k360-header, .k360-progress, .k360-card, .k360-value, .k360-confirm { box-sizing: border-box; }
.k360-header { background: #12355b; color: #fff; border-radius: 12px; padding: 14px 18px; margin-bottom: 10px; }
.k360-header h1 { font-size: 20px; margin: 0 0 4px 0; color: #fff; }
.k360-header .k360-sub { color: #d9e6f5; font-size: 14px; }
.k360-header b { color: #fff; }
.k360-section { font-size: 17px; font-weight: 600; color: #12355b; margin: 18px 0 6px 0;
  border-bottom: 2px solid #f2b705; padding-bottom: 3px; }
.k360-section h2 { font: inherit; color: inherit; margin: 0; }
.k360-nw { white-space: nowrap; }
.k360-card { border: 1px solid #d9e2ec; border-radius: 10px; padding: 10px 12px; margin: 6px 0;
  background: #fff; align-items: center; justify-content: space-between; flex-wrap: wrap; gap: 8px; }
.k360-card-info { flex: 1 1 260px; }
.k360-umpan-balik-entry { flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.k360-umpan-balik-entry .widget-button { max-width: 100%; white-space: normal; }
.k360 h1.k360-page-title { font-size: 20px; line-height: 1.3; color: #12355b; margin: 10px 0 4px 0; }
.k360-name { font-weight: 600; font-size: 16px; }
.k360-muted { color: #52606d; font-size: 13px; }
.k360-badge { display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: 12px; font-weight: 600; }
.k360-badge-belum { background: #fde8e8; color: #9b1c1c; }
.k360-badge-draf { background: #fef3c7; color: #8a5a00; }
.k360-badge-terkirim { background: #def7ec; color: #03543f; }
.k360-badge-tunggu { background: #fde8e8; color: #9b1c1c; }
.k360-waiting { margin-top: 2px; }
.k360-waiting-count { margin: 4px 0; color: #9b1c1c; }
/* "Tersimpan" only while everything on screen matches the database (the page script sets the body class) */
.k360-savestate .k360-saving-note, .k360-savestate .k360-unsaved-note { display: none; }
body.k360-pending .k360-savestate .k360-saved-note, body.k360-unsaved .k360-savestate .k360-saved-note {
  display: none; }
body.k360-pending:not(.k360-unsaved) .k360-savestate .k360-saving-note { display: inline; }
body.k360-unsaved .k360-savestate .k360-unsaved-note { display: inline; color: #9b1c1c; font-weight: 600; }
.k360-item.k360-item-unsaved { border-left: 3px dashed #f2b705; padding-left: 8px; }
.k360-bar { background: #e4e7eb; border-radius: 999px; height: 10px; overflow: hidden; margin: 4px 0; }
.k360-bar > div { background: #2f9e44; height: 100%; }
.k360-progress { background: #f8fafc; border: 1px solid #d9e2ec; border-radius: 10px; padding: 8px 12px;
  position: sticky; top: 0; z-index: 10; margin-top: 16px !important;
  box-shadow: 0 -14px 0 0 #fff, 0 2px 6px rgba(16, 42, 67, .08); }
.k360-value { background: #fff; border: 1px solid #d9e2ec; border-radius: 10px; padding: 8px 12px; margin: 8px 0; }
.k360-value-title { font-weight: 600; color: #12355b; }
.k360-expect { background: #fff8e1; border-left: 4px solid #f2b705; padding: 6px 10px; margin: 6px 0;
  font-size: 14px; }
.k360-item { margin-top: 8px; }
.k360-code { display: inline-block; min-width: 42px; color: #52606d; font-size: 13px; font-weight: 600; }
.k360-levels { margin: 4px 0 4px 0; padding-left: 22px; font-size: 13px; color: #3e4c59; }
.k360-scale .widget-toggle-buttons { display: flex; flex-wrap: wrap; }
.k360-scale .btn-group { display: flex; flex-wrap: wrap; }
/* every tap target at least 44 px (WCAG 2.5.5), borders at 3:1 against white (WCAG 1.4.11) */
.k360-scale .widget-toggle-button { width: auto !important; min-width: 44px; padding: 0 12px;
  margin: 0 6px 6px 0 !important; height: 44px; border-radius: 8px; border: 1px solid #7b8794; background: #fff;
  color: #1f2933; font-size: 16px; }
.k360-scale .widget-toggle-button.mod-active { background: #12355b; color: #fff; border-color: #12355b;
  box-shadow: inset 0 0 0 2px #f2b705; }
.k360-anchors .widget-html-content { font-size: 13px; color: #3e4c59; line-height: 1.35; }
.k360-missing { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 10px; margin-top: 4px; }
.k360-missing details { font-size: 14px; }
.k360-missing summary { min-height: 44px; display: flex; align-items: center; cursor: pointer; color: #12355b;
  font-weight: 600; }
.k360-jumps { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 4px 0; }
.k360 .k360-jump, .k360 .k360-next { min-height: 44px; min-width: 44px; border-radius: 8px; border: 1px solid #7b8794;
  background: #fff; color: #12355b; font: inherit; font-weight: 600; padding: 0 10px; cursor: pointer; }
.k360 .k360-next { background: #12355b; color: #fff; border-color: #12355b; }
.k360-item-flash { outline: 3px solid #f2b705; outline-offset: 4px; border-radius: 4px; }
.k360-hint { color: #9b1c1c; font-weight: 600; }
.k360-unanswered { border-left: 3px solid #f2b705; padding-left: 8px; }
.k360-answered { border-left: 3px solid #2f9e44; padding-left: 8px; }
.k360-legend { font-size: 13px; color: #3e4c59; }
.k360-msg-ok { background: #def7ec; color: #03543f; border-radius: 8px; padding: 6px 10px; }
.k360-msg-error { background: #fde8e8; color: #9b1c1c; border-radius: 8px; padding: 6px 10px; }
.k360-msg-info { background: #e8f1fb; color: #12355b; border-radius: 8px; padding: 6px 10px; }
.k360-locked { background: #def7ec; color: #03543f; border-radius: 10px; padding: 10px 12px; font-weight: 600; }
.k360-denied { max-width: 640px; margin: 40px auto; border: 1px solid #f5c2c2; background: #fff5f5;
  border-radius: 12px; padding: 20px 22px; color: #1f2933; font-family: system-ui, sans-serif; }
.k360-denied h1 { font-size: 20px; color: #9b1c1c; margin: 0 0 8px 0; }
/* the submit confirmation sits at the bottom of the screen, in view wherever the rater tapped */
.k360-confirm { background: #fff8e1; border: 1px solid #f2b705; border-radius: 12px 12px 0 0; padding: 12px 16px;
  position: fixed !important; left: 50%; bottom: 0; transform: translateX(-50%); width: min(920px, 100%) !important;
  z-index: 50; margin: 0 !important; box-shadow: 0 -6px 24px rgba(16, 42, 67, .28);
  padding-bottom: calc(12px + env(safe-area-inset-bottom, 0px)); }
.k360-confirm .widget-hbox { flex-wrap: wrap; gap: 8px; }
.k360-row { flex-wrap: wrap; gap: 8px; align-items: center; }
/* comment boxes: 16 px text (no zoom on phones), clear border, room to write */
.k360 .widget-textarea textarea { font-size: 16px; line-height: 1.45; min-height: 110px; padding: 8px 10px;
  border: 1px solid #7b8794; border-radius: 8px; color: #1f2933; background: #fff; }
.k360 input[type="text"], .k360 select { font-size: 16px; min-height: 44px; border: 1px solid #7b8794;
  border-radius: 8px; }
.k360 .widget-text, .k360 .widget-dropdown { height: auto; }
.k360 .widget-dropdown > label.widget-label { width: auto; padding-right: 8px; }
.k360 button.jupyter-button { border-radius: 8px; min-height: 44px; height: auto; padding: 0 16px; font-size: 15px; }
.k360 button.jupyter-button.mod-success { background: #1e6b2f; color: #fff; }
.k360 button.jupyter-button.mod-warning { background: #8a4b00; color: #fff; }
/* a focus ring that shows on every background (WCAG 2.4.7) */
.k360 :focus-visible, .k360-denied :focus-visible, #k360-guard :focus-visible {
  outline: 3px solid #1a5fb4 !important; outline-offset: 2px !important; box-shadow: 0 0 0 5px #fff !important; }
.k360 .widget-toggle-button:focus-visible { outline: 3px solid #1a5fb4 !important; }
.k360-header :focus-visible { outline-color: #f2b705 !important; }
.k360 .widget-button { width: auto; min-width: 120px; align-self: flex-start; }
.k360-card .widget-button { align-self: center; }
.k360 .mod-primary { background: #12355b; }
.k360-table { border-collapse: collapse; width: 100%; font-size: 14px; }
.k360-table th, .k360-table td { border-bottom: 1px solid #e4e7eb; padding: 5px 6px; text-align: left; }
.k360-table td.k360-num, .k360-table th.k360-num { text-align: right; white-space: nowrap; }
.k360-scroll { overflow-x: auto; }
.k360-scroll:focus-visible { outline: 3px solid #1a5fb4; }
/* on a phone the header is a compact strip (title, then cycle · deadline · rater on wrapping lines) so the first
   card of the list, and the form's first items, start on the first screen of a 360x640 phone */
@media (max-width: 600px) {
  .k360 { font-size: 15px; }
  .k360-header { padding: 8px 12px; margin-bottom: 4px; border-radius: 10px; }
  .k360-header h1 { font-size: 16px; line-height: 1.25; margin: 0 0 2px 0; }
  .k360-header .k360-sub { display: inline; font-size: 13px; line-height: 1.4; }
  .k360-header .k360-sub + .k360-sub::before { content: " · "; }
  .k360-header .k360-rater-detail { display: none; }
  .k360-header-form .k360-sub ~ .k360-sub { display: none; }  /* in a form: the title and the cycle only */
  .k360-form-title .k360-name { font-size: 15px; }
  .k360-form-title .k360-muted { font-size: 12px; line-height: 1.35; }
  .k360-progress { margin-top: 6px !important; padding: 6px 10px;
    box-shadow: 0 -6px 0 0 #fff, 0 2px 6px rgba(16, 42, 67, .08); }
  .k360-section { font-size: 16px; margin: 10px 0 4px 0; }
  .k360-legend, .k360-legend .widget-html-content { font-size: 12px; line-height: 1.35; }
  .k360-scale .widget-toggle-button { min-width: 44px; padding: 0 10px; margin: 0 5px 6px 0 !important; }
  .k360-progress .k360-muted { font-size: 13px; }
  .k360-card .widget-button { width: 100%; }
}
</style>
"""


#: Month names for dates shown to raters ("31 Desember 2026", not "2026-12-31").
BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
         "November", "Desember")


def tanggal(iso: str | None) -> str:
    """Return an ISO date as Indonesians write it; anything else unchanged.

    >>> tanggal("2026-12-31")
    '31 Desember 2026'
    """
    try:
        year, month, day = (int(part) for part in str(iso)[:10].split("-"))
        return f"{day} {BULAN[month - 1]} {year}"
    except (ValueError, IndexError, TypeError):
        return "" if iso is None else str(iso)


def esc(value: Any) -> str:
    """Return text safe to put inside HTML (``None`` becomes '')."""
    return "" if value is None else html.escape(str(value), quote=True)


def cycle_title(cycle) -> str:
    """Return the cycle's name, with its period unless the name already says it."""
    period = f"{cycle.periode} {cycle.tahun}"
    return cycle.nama if period.lower() in cycle.nama.lower() else f"{cycle.nama} ({period})"


_SHARED: dict[str, widgets.Widget] = {}
_SHARED_KINDS = {
    "full": lambda: widgets.Layout(width="100%"),      # a box or text across the width, never changed
    "auto": lambda: widgets.Layout(width="auto"),
    "plain": lambda: widgets.Layout(),                 # a button's layout, never changed
    "html": lambda: HTMLStyle(),
    "toggle": widgets.ToggleButtonsStyle,
    "button": widgets.ButtonStyle,
}


def shared(kind: str) -> widgets.Widget:
    """Return this kernel's one Layout or Style model of ``kind`` ('full', 'auto', 'plain', 'html', 'toggle',
    'button'), for widgets that never change theirs.

    Every ipywidgets widget brings a Layout model and most a Style model of their own: each one more comm to open,
    one more message through the form server and over the rater's network. A list and one 25-item form took 388
    comm openings and 780 KB; widgets whose layout and style never change share one model of each instead. A
    widget whose layout changes (shown and hidden with ``layout.display``) must have its own.
    """
    made = _SHARED.get(kind)
    if made is None or getattr(made, "comm", None) is None:
        made = _SHARED[kind] = _SHARED_KINDS[kind]()
    return made


def box(children, *classes: str, horizontal: bool = False, layout: widgets.Layout | None = None) -> widgets.Box:
    """Return a VBox (or HBox) across the width with ``classes`` set from the start (no later update message)."""
    cls = widgets.HBox if horizontal else widgets.VBox
    return cls(list(children), layout=layout or shared("full"), _dom_classes=classes)


def button(description: str, *classes: str, **kwargs) -> widgets.Button:
    """Return a Button sharing its layout and style models, with ``classes`` set from the start."""
    return widgets.Button(description=description, layout=shared("plain"), style=shared("button"),
                          _dom_classes=classes, **kwargs)


def style() -> widgets.HTML:
    """Return the widget carrying the kit's style sheet (one per app)."""
    return widgets.HTML(CSS, layout=widgets.Layout(height="0px", margin="0"))


def section(title: str) -> widgets.HTML:
    """Return a section heading (an h2, so a screen reader can jump between sections)."""
    return html_box(f"<h2>{esc(title)}</h2>", "k360-section")


def full_width(widget: widgets.Widget) -> widgets.Widget:
    widget.layout.width = "100%"
    return widget


def html_box(value: str = "", *classes: str, layout: widgets.Layout | None = None) -> widgets.HTML:
    """Return an HTML widget across the width with ``classes``; pass its own ``layout`` if it is ever hidden."""
    return widgets.HTML(value, layout=layout or shared("full"), style=shared("html"), _dom_classes=classes)


def message_html(kind: str, text: str) -> str:
    """Return an escaped message block; kind is 'ok', 'error' or 'info'."""
    return f'<div class="k360-msg-{kind}" role="status">{esc(text)}</div>' if text else ""


def bar(done: int, total: int) -> str:
    pct = 100.0 * done / total if total else 0.0
    return f'<div class="k360-bar" aria-hidden="true"><div style="width:{pct:.1f}%"></div></div>'


def denied_html() -> str:
    """Return the one message shown for an unusable link (no hint of why)."""
    return (CSS + f'<div class="k360-denied" role="alert"><h1>{esc(DENIED_TITLE)}</h1>'
            f"<p>{esc(DENIED_HELP)}</p></div>")


def denied_view() -> widgets.HTML:
    """Return the widget shown instead of any form when a link cannot be used."""
    return widgets.HTML(denied_html(), layout=widgets.Layout(width="100%"))


def halted_html(text: str) -> str:
    """Return the message that replaces a whole app that must not go on, with a reload button.

    The button carries ``k360-reload``; the page template's script reloads the page on its click.
    """
    return (CSS + f'<div class="k360-denied" role="alert"><h1>{esc(HALTED_TITLE)}</h1><p>{esc(text)}</p>'
            f'<button type="button" class="k360-reload jupyter-button mod-primary">{esc(RELOAD)}</button></div>')


def halted_view(text: str) -> widgets.HTML:
    """Return the widget shown instead of an app that stopped (e.g. its database file was replaced)."""
    return widgets.HTML(halted_html(text), layout=widgets.Layout(width="100%"))


def guarded(method: Callable) -> Callable:
    """Wrap a widget callback: show the kit's errors, log unexpected ones, never raise.

    An exception inside an ipywidgets callback is otherwise shown nowhere. The owner must
    define ``_show_error(text)``, ``_deny()`` and ``_halt(text)``.
    """
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except AccessDenied:
            log.info("link refused during %s", method.__qualname__)
            self._deny()
        except DatabaseReplaced as exc:
            log.error("database file replaced under the server; %s stopped the form", method.__qualname__)
            self._halt(str(exc))
        except KinerjaError as exc:
            log.info("refused in %s: %s", method.__qualname__, exc)
            self._show_error(str(exc))
        except Exception:
            log.exception("callback %s failed", method.__qualname__)
            self._show_error(GENERIC_ERROR)
    return wrapper


class PageView(widgets.VBox):
    """A page of a personal link shown in place of the rater's list (umpan balik, keberatan, usulan rekan, laporan):
    the "back to the list" button, one message line, and what :func:`guarded` callbacks need.

    ``on_denied``/``on_halt`` hand a refused link or a stopped server to the app, which replaces the whole page;
    without them the message line says it.
    """

    def __init__(self, css_class: str, *, on_back: Callable[[], None],
                 on_denied: Callable[[], None] | None = None, on_halt: Callable[[str], None] | None = None):
        super().__init__(layout=shared("full"), _dom_classes=(css_class,))
        self._on_back_cb, self._on_denied_cb, self._on_halt_cb = on_back, on_denied, on_halt
        self._back = button("← Kembali ke daftar", "k360-back", tooltip="Kembali ke daftar penilaian")
        self._back.on_click(self._on_back)
        self._message = html_box()

    @property
    def back_button(self) -> widgets.Button:
        return self._back

    @property
    def message(self) -> str:
        return self._message.value

    def html(self) -> str:
        """Every HTML text now shown in the view (e.g. to check escaping)."""
        def walk(w):
            if isinstance(w, widgets.HTML):
                yield w.value
            for c in getattr(w, "children", ()):
                yield from walk(c)
        return "\n".join(walk(self))

    def _say(self, kind: str, text: str) -> None:
        self._message.value = message_html(kind, text)

    def _show_error(self, text: str) -> None:
        self._say("error", text)

    def _deny(self) -> None:
        if self._on_denied_cb is not None:
            self._on_denied_cb()
        else:
            self._show_error(DENIED_TITLE)

    def _halt(self, text: str) -> None:
        if self._on_halt_cb is not None:
            self._on_halt_cb(text)
        else:
            self._show_error(text)

    @guarded
    def _on_back(self, _button=None) -> None:
        self._on_back_cb()
