/*
 * Offline ipywidgets support for the course book.
 *
 * Loaded on pages with saved widget state, after require.js and before the vendored
 * @jupyter-widgets/html-manager embed-amd.js (see nb_ipywidgets_js in _config.yml).
 *
 * 1. Point require.js at the vendored widget manager, so the manager resolves its own
 *    assets (Font Awesome fonts) next to _static/jupyter-widgets/embed-amd.js instead of
 *    relative to the page.
 * 2. The widget manager typesets labels with the MathJax 2 API (MathJax.Hub.Queue);
 *    the book serves MathJax 3. Provide a small MathJax.Hub.Queue that forwards
 *    "Typeset" commands to MathJax 3's typesetPromise. Widgets render on window
 *    "load", after the deferred MathJax script has run, so installing it at
 *    DOMContentLoaded is early enough.
 */
(function () {
  "use strict";
  var here = document.currentScript && document.currentScript.src;
  if (here && window.require && typeof window.require.config === "function") {
    var managerDir = new URL("jupyter-widgets", here).href; // .../_static/jupyter-widgets
    window.require.config({ paths: { "@jupyter-widgets/html-manager/dist": managerDir } });
  }

  function installHubShim() {
    var MJ = window.MathJax;
    if (!MJ || MJ.Hub || !MJ.startup || !MJ.version || MJ.version.charAt(0) !== "3") {
      return;
    }
    MJ.Hub = {
      Queue: function () {
        var elements = [];
        for (var i = 0; i < arguments.length; i++) {
          var cmd = arguments[i];
          if (Array.isArray(cmd) && cmd[0] === "Typeset" && cmd[2]) {
            elements.push(cmd[2]);
          }
        }
        if (!elements.length) {
          return;
        }
        MJ.startup.promise
          .then(function () { return MJ.typesetPromise(elements); })
          .catch(function (err) { console.warn("MathJax typeset of a widget failed:", err); });
      },
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", installHubShim);
  } else {
    installHubShim();
  }
})();
