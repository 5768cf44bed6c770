// In-page probe of the JupyterLab widget test (tests/lab/labdriver.py evaluates this file).
//
// JupyterLab is started with --LabApp.expose_app_in_browser, so window.jupyterapp is the
// running application. The probe only *reads* the page (which cells ran, which outputs are
// widgets, what they show) and times responses; every action on a widget is a real mouse
// or keyboard event sent by Playwright.
//
//   * controls: ipywidgets controls inside widget outputs, found by their DOM classes
//     (ipywidgets 8), tagged data-lab-control=<id> so Python can locate them;
//   * fingerprint: a hash of every code cell's outputs with the controls themselves
//     removed, so "the output changed" means something other than the control changed;
//   * timing: a capture-phase listener stamps the user's action (pointerdown / keydown),
//     a MutationObserver stamps the first and the last change of any output after it;
//   * kernel errors: every `error` message on the kernel's iopub channel (a widget callback
//     that raises arrives as one, its parent being the widget's comm_msg).
(() => {
  if (window.__labProbe) return;

  // [kind, selector of the control's root]. A candidate inside another candidate belongs to
  // it (the buttons of a Play or a ToggleButtons, the handles of a slider).
  const CONTROL_KINDS = [
    ['play', '.widget-play'],
    ['slider', '.widget-slider'], // Int/Float/FloatLog/Selection sliders and range sliders
    ['toggle-buttons', '.widget-toggle-buttons'],
    ['toggle-button', 'button.widget-toggle-button'],
    ['dropdown', '.widget-dropdown'],
    ['select', '.widget-select, .widget-select-multiple'],
    ['radio', '.widget-radio'],
    ['checkbox', '.widget-checkbox'],
    ['button', 'button.widget-button'],
    ['text', '.widget-text, .widget-textarea'],
  ];
  // What a person can operate. One of these outside every known control is reported as
  // unsupported (the harness must learn it) instead of being skipped silently.
  const INTERACTIVE = 'input, select, textarea, button, [role="slider"]';
  // Interactive parts that belong to an output's own renderer, not to an ipywidgets control.
  const FOREIGN = '.js-plotly-plot';
  const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';

  const S = {
    armed: false,
    t0: null, // performance.now() of the user's action
    busy: false,
    kernel: null, // of the kernel going idle again after handling it
    first: null, // of the first output mutation after it
    last: null, // of the latest one
    count: 0,
    lastAny: performance.now(), // latest output mutation, armed or not (settling)
    errors: [], // kernel error messages: {t, parent, ename, evalue, traceback}
    prints: new Map(), // cell index -> fingerprint of its outputs, while they do not change
    dirty: new Set(), // cells whose outputs changed since their fingerprint
    comms: [], // recent widget messages (diagnosis)
    observerMs: 0, // time spent in the MutationObserver callback since arm() (the probe's cost)
    run: null, // state of Run All
    nextId: 0,
  };

  const app = () => window.jupyterapp;
  const panel = () => app().shell.currentWidget;
  const codeCells = () =>
    panel().content.widgets.map((cell, index) => ({ cell, index })).filter(c => c.cell.model.type === 'code');
  const stripAnsi = s => String(s).replace(/\u001b\[[0-9;]*m/g, '');

  function relevant(record) {
    let node = record.target;
    if (node.nodeType !== 1) node = node.parentElement;
    if (!node || !node.closest('.jp-OutputArea')) return false;
    return !node.closest('[data-lab-control]');
  }

  function onMutations(records) {
    const now = performance.now(); // before the filtering below: not counted in the latency
    let any = false;
    for (const record of records) {
      if (!relevant(record)) continue;
      any = true;
      const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      const area = node.closest('[data-lab-cell]');
      if (area) S.dirty.add(area.getAttribute('data-lab-cell'));
    }
    S.observerMs += performance.now() - now;
    if (!any) return;
    S.lastAny = now;
    if (S.armed && S.t0 !== null) {
      if (S.first === null) S.first = now;
      S.last = now;
      S.count += 1;
    }
  }

  function stampAction() {
    if (S.armed && S.t0 === null) S.t0 = performance.now();
  }

  function hash(str) {
    // FNV-1a, 32 bit, plus the length: enough to tell two renderings apart
    let h = 0x811c9dc5;
    for (let i = 0; i < str.length; i++) {
      h ^= str.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return `${str.length}:${(h >>> 0).toString(16)}`;
  }

  function labelOf(root, kind) {
    for (const label of root.querySelectorAll('.widget-label, .widget-label-basic')) {
      const text = label.textContent.replace(/\u200b/g, '').trim();
      if (text) return text;
    }
    if (kind === 'button' || kind === 'toggle-button') return root.textContent.trim();
    return '';
  }

  function outputsOf(cell) {
    // [{index, isWidget, node}] of a code cell's top-level outputs, in model order
    const nodes = Array.from(cell.outputArea.node.querySelectorAll(':scope > .jp-OutputArea-child'));
    const outputs = cell.model.outputs;
    const list = [];
    for (let k = 0; k < outputs.length; k++) {
      const data = outputs.get(k).data || {};
      list.push({ index: k, isWidget: WIDGET_MIME in data, node: nodes[k] || null });
    }
    return list;
  }

  window.__labProbe = {
    install() {
      const p = panel();
      const observer = new MutationObserver(onMutations);
      observer.observe(p.content.node, {
        subtree: true,
        childList: true,
        attributes: true,
        characterData: true,
      });
      for (const type of ['pointerdown', 'mousedown', 'keydown', 'input', 'change']) {
        window.addEventListener(type, stampAction, true);
      }
      p.sessionContext.session.kernel.anyMessage.connect((_, args) => {
        // a short log of widget traffic, for the report when something fails
        const msg = args.msg;
        const type = msg.header.msg_type;
        if (type !== 'comm_open' && type !== 'comm_msg' && type !== 'comm_close') return;
        const data = msg.content.data || {};
        const state = data.state || {};
        S.comms.push({
          t: Math.round(performance.now()),
          dir: args.direction,
          type,
          comm: String(msg.content.comm_id).slice(0, 8),
          model: state._model_name || '',
          method: data.method || '',
          keys: Object.keys(state).filter(k => k !== '_esm').slice(0, 8).join(','),
        });
        if (S.comms.length > 400) S.comms.splice(0, S.comms.length - 400);
      });
      p.sessionContext.iopubMessage.connect((_, msg) => {
        if (S.armed && S.t0 !== null && msg.header.msg_type === 'status') {
          // the kernel has handled the action (run the callback, sent its updates)
          if (msg.content.execution_state === 'busy') S.busy = true;
          else if (msg.content.execution_state === 'idle' && S.busy && S.kernel === null) S.kernel = performance.now();
        }
        if (msg.header.msg_type !== 'error') return;
        const c = msg.content;
        S.errors.push({
          t: performance.now(),
          parent: (msg.parent_header && msg.parent_header.msg_type) || '',
          ename: c.ename,
          evalue: c.evalue,
          traceback: stripAnsi((c.traceback || []).join('\n')),
        });
      });
      return true;
    },

    ready() {
      // notebook open, kernel started and idle
      const p = app() && panel();
      if (!p || !p.content || !p.sessionContext) return false;
      const session = p.sessionContext.session;
      return !!(session && session.kernel && session.kernel.status === 'idle');
    },

    kernelStatus() {
      const session = panel().sessionContext.session;
      return session && session.kernel ? session.kernel.status : 'none';
    },

    runAll() {
      S.run = 'running';
      app()
        .commands.execute('notebook:run-all-cells')
        .then(ok => (S.run = ok === false ? 'stopped' : 'done'), err => (S.run = `failed: ${err}`));
      return true;
    },

    runState() {
      return S.run;
    },

    shutdown() {
      return panel().sessionContext.shutdown().then(() => true);
    },

    cells() {
      // one entry per code cell: execution, errors, widget outputs and how they rendered
      return codeCells().map(({ cell, index }) => {
        const tags = cell.model.getMetadata('tags') || [];
        const outputs = cell.model.outputs.toJSON();
        const views = outputsOf(cell).filter(o => o.isWidget);
        return {
          index,
          tags,
          executionCount: cell.model.executionCount,
          errors: outputs
            .filter(o => o.output_type === 'error')
            .map(o => ({ ename: o.ename, evalue: o.evalue, traceback: stripAnsi((o.traceback || []).join('\n')) })),
          widgetViews: views.length,
          rendered: views.filter(
            o =>
              o.node &&
              o.node.querySelector('.jupyter-widgets') &&
              !/Error displaying widget|Loading widget/.test(o.node.textContent)
          ).length,
          source: cell.model.sharedModel.getSource().slice(0, 200),
        };
      });
    },

    scan() {
      // find the controls in every widget output; tag them and their cell's output area
      const controls = [];
      const unsupported = [];
      let displayOnly = 0;
      for (const { cell, index } of codeCells()) {
        const area = cell.outputArea.node;
        if (area.getAttribute('data-lab-cell') !== String(index)) area.setAttribute('data-lab-cell', String(index));
        for (const out of outputsOf(cell)) {
          if (!out.isWidget || !out.node) continue;
          const candidates = [];
          for (const [kind, selector] of CONTROL_KINDS) {
            for (const el of out.node.querySelectorAll(selector)) {
              if (!candidates.some(c => c.el === el)) candidates.push({ kind, el });
            }
          }
          const roots = candidates.filter(c => !candidates.some(o => o.el !== c.el && o.el.contains(c.el)));
          let here = 0;
          for (const { kind, el } of roots) {
            if (!el.hasAttribute('data-lab-control')) el.setAttribute('data-lab-control', String(S.nextId++));
            const inner = el.matches(INTERACTIVE) ? [el] : Array.from(el.querySelectorAll(INTERACTIVE));
            const disabled =
              el.classList.contains('mod-disabled') ||
              !!el.querySelector('.noUi-target[disabled]') ||
              (inner.length > 0 && inner.every(i => i.disabled));
            controls.push({
              id: el.getAttribute('data-lab-control'),
              cell: index,
              output: out.index,
              kind,
              label: labelOf(el, kind),
              disabled,
              vertical: el.classList.contains('widget-vslider'),
              numeric: !!el.querySelector('input[type="number"]'),
            });
            here += 1;
          }
          for (const el of out.node.querySelectorAll(INTERACTIVE)) {
            if (el.closest('[data-lab-control]') || el.closest(FOREIGN) || el.offsetParent === null) continue;
            const host = el.closest('.jupyter-widgets');
            unsupported.push({
              cell: index,
              tag: el.tagName.toLowerCase(),
              classes: host ? host.className : '',
              text: (el.textContent || el.value || '').trim().slice(0, 40),
            });
            here += 1;
          }
          if (here === 0) displayOnly += 1;
        }
      }
      return { controls, unsupported, displayOnly };
    },

    value(id) {
      // what the control itself shows now (to tell whether an action moved it)
      const el = document.querySelector(`[data-lab-control="${id}"]`);
      if (!el) return null;
      const handles = Array.from(el.querySelectorAll('.noUi-handle'));
      if (handles.length) return handles.map(h => h.getAttribute('aria-valuenow')).join(',');
      const active = Array.from(el.querySelectorAll('.mod-active')).map(b => b.textContent.trim());
      if (el.matches('button')) return `${el.textContent.trim()}${el.classList.contains('mod-active') ? ':on' : ''}`;
      const select = el.querySelector('select');
      if (select) return Array.from(select.selectedOptions).map(o => o.value).join(',');
      const checked = Array.from(el.querySelectorAll('input[type="checkbox"], input[type="radio"]')).map(i => (i.checked ? 1 : 0));
      if (checked.length) return checked.join('');
      const input = el.querySelector('input, textarea');
      if (input) return input.value;
      if (active.length) return active.join(',');
      return el.textContent.trim();
    },

    fingerprint() {
      // {cell index: hash of its outputs without the controls}; canvases by their pixels
      const prints = {};
      for (const { cell, index } of codeCells()) {
        const node = cell.outputArea.node;
        if (!node.childElementCount) continue;
        const key = String(index);
        const canvases = node.querySelectorAll('canvas'); // redrawn without DOM mutations
        if (S.prints.has(key) && !S.dirty.has(key) && !canvases.length && node.getAttribute('data-lab-cell') === key) {
          prints[index] = S.prints.get(key);
          continue;
        }
        if (node.getAttribute('data-lab-cell') !== key) node.setAttribute('data-lab-cell', key);
        S.dirty.delete(key);
        const clone = node.cloneNode(true);
        clone.querySelectorAll('[data-lab-control]').forEach(el => el.remove());
        let text = clone.innerHTML;
        for (const canvas of canvases) {
          if (canvas.closest('[data-lab-control]')) continue;
          try {
            text += canvas.toDataURL();
          } catch (e) {
            text += `canvas:${canvas.width}x${canvas.height}`;
          }
        }
        prints[index] = hash(text);
        S.prints.set(key, prints[index]);
      }
      return prints;
    },

    arm() {
      Object.assign(S, { armed: true, t0: null, first: null, last: null, count: 0, busy: false, kernel: null, observerMs: 0 });
      return S.errors.length;
    },

    disarm() {
      S.armed = false;
    },

    timing() {
      return { t0: S.t0, first: S.first, last: S.last, count: S.count, kernel: S.kernel, observerMs: S.observerMs, now: performance.now() };
    },

    settled(quietMs) {
      // true once the output changed after the action and then stayed quiet for quietMs
      return S.first !== null && performance.now() - S.last >= quietMs;
    },

    quiet(quietMs) {
      // no output mutation at all for quietMs (used to let rendering finish)
      return performance.now() - S.lastAny >= quietMs;
    },

    diagnose(cellIndex) {
      // what a failing cell shows: its plotly figures and text, plus recent widget traffic
      const found = codeCells().find(c => c.index === cellIndex);
      const node = found && found.cell.outputArea.node;
      const figures = node
        ? Array.from(node.querySelectorAll('.js-plotly-plot')).map(gd => ({
            traces: (gd.data || []).length,
            title: ((gd.layout && gd.layout.title) || {}).text || '',
            height: gd._fullLayout ? gd._fullLayout.height : null,
          }))
        : [];
      const text = node ? node.innerText.replace(/\s+/g, ' ').slice(0, 300) : '';
      return { figures, text, comms: S.comms.slice(-60) };
    },

    errorsSince(mark) {
      return S.errors.slice(mark);
    },
  };
})();
