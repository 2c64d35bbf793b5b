// Draws the Vega-Lite charts of a study report. Specifications sit in <script
// type="application/json"> blocks (data, not code); the expression interpreter keeps Vega
// from compiling code at run time, so a strict Content-Security-Policy holds. Its words come
// from the page, in the reader's language: the data-chart-* attributes of the element around
// the charts (trs/_report_body.html), else of <body> (base.html), never written here.
(function () {
  "use strict";
  // The reader's separators, month and day names (humanize_figures.chart_locale).
  function locale() {
    var block = document.getElementById("chart-locale");
    try { return block ? JSON.parse(block.textContent) : null; } catch (e) { return null; }
  }
  function draw() {
    if (typeof vegaEmbed === "undefined") return;
    var written = locale();
    var nodes = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(nodes, function (node) {
      var source = document.getElementById(node.getAttribute("data-chart"));
      if (!source) return;
      var words = node.closest("[data-chart-error]") || document.body;
      var say = function (name) { return words.getAttribute("data-chart-" + name) || ""; };
      var spec = JSON.parse(source.textContent);
      // defaultStyle and the tooltip's default style would be injected as inline <style>
      // elements, which the policy blocks (style-src 'self'): vendor/vega-embed.css has them.
      // Without the default style vega-embed also drops the folding "..." menu and lays the
      // export links over the chart; forceActionsMenu keeps them folded in it.
      var options = {
        actions: { export: true, source: false, compiled: false, editor: false }, renderer: "svg",
        defaultStyle: false, forceActionsMenu: true, tooltip: { disableDefaultStyle: true },
        i18n: {},
        // Every chart's data is also on the page as a table or a sentence (its text
        // alternative): its marks stay out of the screen reader's way, which would otherwise
        // meet hundreds of unnamed graphics (axe: svg-img-alt, WCAG 1.1.1).
        config: { mark: { aria: false } }
      };
      if (written) {
        options.formatLocale = written.number;
        options.timeFormatLocale = written.time;
      }
      [["SVG_ACTION", "save-svg"], ["PNG_ACTION", "save-png"], ["CLICK_TO_VIEW_ACTIONS", "menu"]]
        .forEach(function (pair) { if (say(pair[1])) options.i18n[pair[0]] = say(pair[1]); });
      if (typeof vega !== "undefined" && vega.expressionInterpreter) {
        options.ast = true;
        options.expr = vega.expressionInterpreter;
      }
      vegaEmbed(node, spec, options).then(function () {
        // The folded menu's only content is an icon: name it for screen readers (WCAG 4.1.2),
        // in the page's language (base.html's data-chart-menu).
        var menu = node.querySelector(".vega-actions-wrapper > summary, details > summary");
        if (menu) menu.setAttribute("aria-label", say("menu") || document.body.getAttribute("data-chart-menu") || "");
        node.setAttribute("data-drawn", "yes");
      })
        .catch(function (error) { node.textContent = say("error") + " (" + error + ")"; });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
