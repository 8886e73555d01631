/*
 * Kinerja 360 page script: connect the page to its kernel and show its widgets; nothing else is loaded.
 *
 * Voilà's own page script is a JupyterLab application (rendermime, CodeMirror, MathJax, themes, federated
 * extensions): 5 MB in 95 requests, 1.3 MB gzipped, for pages that only ever show ipywidgets. This script is
 * what those pages need: the kernel connection of @jupyterlab/services, ipywidgets' base and controls, and the
 * widget manager that ties them (the same protocol as Voilà's, so the server side is unchanged).
 *
 *  - Voilà's page carries each cell output as <script type="application/vnd.voila.cell-output+json">; every widget
 *    view among them is rendered in place. An error output shows the server's "not available" message.
 *  - The loading screen stays until the widgets are on the page.
 *  - Closing the tab (pagehide) shuts the page's kernel down, as Voilà's page does; a page restored from the
 *    back-forward cache after that reloads, since its kernel is gone.
 *  - window.jupyterapp.widgetManager.kernel is the kernel connection, for the page guard (guard.js), and
 *    window.jupyterapp.widgetManager.resync() fetches every widget's state again after a reconnection.
 */
import { ManagerBase } from '@jupyter-widgets/base-manager';
import * as base from '@jupyter-widgets/base';
import * as controls from '@jupyter-widgets/controls';
import { KernelConnection } from '@jupyterlab/services/lib/kernel/default';
import { ServerConnection } from '@jupyterlab/services/lib/serverconnection';
import { Widget } from '@lumino/widgets';
import '@jupyter-widgets/controls/css/widgets.css';
import sanitize from './plain-text.js';

const VIEW_MIME = 'application/vnd.jupyter.widget-view+json';
const OUTPUT_TYPE = 'application/vnd.voila.cell-output+json';
const MODULES = { '@jupyter-widgets/base': base, '@jupyter-widgets/controls': controls };
const UNAVAILABLE = 'Formulir penilaian sedang tidak dapat dibuka. Coba beberapa saat lagi atau hubungi admin ' +
  'kepegawaian (BKPSDM).';

/*
 * ipywidgets' ToggleButtons rebuilds all its buttons on every change of its model (it compares each button's
 * value, its index, with the option's label, which never match for labels like "1" … "5"). Every saved answer
 * changes the model, so the focused button vanished under a keyboard user and the screen reader lost its place.
 * When the options are the same, only the state of the existing buttons is updated.
 */
const toggleUpdate = controls.ToggleButtonsView.prototype.update;
const selectionUpdate = Object.getPrototypeOf(controls.ToggleButtonsView.prototype).update;
controls.ToggleButtonsView.prototype.update = function (options) {
  const items = this.model.get('_options_labels') || [];
  const icons = this.model.get('icons') || [];
  const buttons = this.buttongroup ? Array.from(this.buttongroup.querySelectorAll('button')) : [];
  const same = !icons.length && buttons.length === items.length && buttons.length > 0 &&
    buttons.every((b, i) => b.getAttribute('data-value') === encodeURIComponent(items[i]));
  if (!same) {
    return toggleUpdate.call(this, options);
  }
  const tooltips = this.model.get('tooltips') || [];
  const disabled = this.model.get('disabled');
  const index = this.model.get('index');
  buttons.forEach((button, i) => {
    button.disabled = disabled;
    button.classList.toggle('mod-active', index === i);
    if (tooltips[i]) { button.setAttribute('title', tooltips[i]); } else { button.removeAttribute('title'); }
  });
  return selectionUpdate.call(this, options);
};

class PageWidgetManager extends ManagerBase {
  constructor(kernel) {
    super();
    this.kernel = kernel;
    kernel.registerCommTarget(this.comm_target_name, (comm, msg) =>
      this.handle_comm_open(new base.shims.services.Comm(comm), msg));
  }

  async loadClass(className, moduleName, moduleVersion) {
    const module = MODULES[moduleName];
    if (!module || !module[className]) {
      throw new Error(`Widget ${moduleName}.${className} ${moduleVersion} tidak tersedia di halaman ini`);
    }
    return module[className];
  }

  async _create_comm(targetName, modelId, data, metadata, buffers) {
    const comm = this.kernel.createComm(targetName, modelId);
    if (data || metadata) {
      comm.open(data, metadata, buffers);
    }
    return new base.shims.services.Comm(comm);
  }

  /** Descriptions are text: the forms never let a description carry HTML. */
  inline_sanitize(source) {
    return sanitize(source);
  }

  async _get_comm_info() {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    return reply.content.status === 'ok' ? reply.content.comms : {};
  }

  /** After a lost connection: forget messages still "in flight" and take every widget's state afresh. */
  async resync() {
    for (const promise of Object.values(this._models)) {
      try {
        const model = await promise;
        model._pending_msgs = 0;
        model._msg_buffer = null;
        model._msg_buffer_callbacks = null;
      } catch (e) { /* a closed widget */ }
    }
    await this._loadFromKernel();
  }
}

function config() {
  const el = document.getElementById('jupyter-config-data');
  return el ? JSON.parse(el.textContent || '{}') : {};
}

function showCells() {
  const loading = document.getElementById('loading');
  if (loading) { loading.remove(); }
  const cells = document.getElementById('rendered_cells');
  if (cells) { cells.style.display = ''; }
  document.body.classList.add('k360-ready');
}

function unavailable(host) {
  const box = document.createElement('div');
  box.className = 'k360-denied';
  box.setAttribute('role', 'alert');
  box.textContent = UNAVAILABLE;
  host.appendChild(box);
}

async function renderOutputs(manager) {
  for (const script of Array.from(document.querySelectorAll(`script[type="${OUTPUT_TYPE}"]`))) {
    let output;
    try { output = JSON.parse(script.textContent); } catch (e) { continue; }
    const host = document.createElement('div');
    host.className = 'k360-output';
    script.parentNode.insertBefore(host, script);
    const data = output.data || {};
    if (data[VIEW_MIME]) {
      const model = await manager.get_model(data[VIEW_MIME].model_id);
      const view = await manager.create_view(model);
      Widget.attach(view.luminoWidget, host);
    } else if (output.output_type === 'error') {
      unavailable(host);
    }
  }
}

function shutdownOnClose(settings, kernel) {
  let done = false;
  const url = `${settings.baseUrl}voila/api/shutdown/${kernel.id}`;
  const shutdown = () => {
    if (done) { return; }
    done = true;
    try { navigator.sendBeacon(url, new FormData()); } catch (e) { /* the page is going anyway */ }
  };
  window.addEventListener('beforeunload', shutdown);
  window.addEventListener('pagehide', shutdown);
  window.addEventListener('pageshow', (event) => { if (event.persisted && done) { window.location.reload(); } });
}

async function start() {
  const page = config();
  if (!page.kernelId) { showCells(); return; }
  const settings = ServerConnection.makeSettings({ baseUrl: page.baseUrl || '/' });
  const kernel = new KernelConnection({ model: { id: page.kernelId, name: 'python3' }, serverSettings: settings,
                                        handleComms: true });
  const manager = new PageWidgetManager(kernel);
  window.jupyterapp = { widgetManager: manager };
  shutdownOnClose(settings, kernel);
  try {
    await manager._loadFromKernel();
    await renderOutputs(manager);
  } catch (e) {
    console.error('Kinerja 360: widgets could not be shown', e);
    unavailable(document.getElementById('rendered_cells') || document.body);
  } finally {
    showCells();
  }
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
