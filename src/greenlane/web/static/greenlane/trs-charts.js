// Draws the Vega-Lite charts of a study report. Specifications sit in <script
// type="application/json"> blocks (data, not code); the expression interpreter keeps Vega
// from compiling code at run time, so a strict Content-Security-Policy holds.
(function () {
  "use strict";
  function draw() {
    if (typeof vegaEmbed === "undefined") return;
    var nodes = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(nodes, function (node) {
      var source = document.getElementById(node.getAttribute("data-chart"));
      if (!source) return;
      var spec = JSON.parse(source.textContent);
      // defaultStyle and the tooltip's default style would be injected as inline <style>
      // elements, which the policy blocks (style-src 'self'): vendor/vega-embed.css has them.
      // Without the default style vega-embed also drops the folding "..." menu and lays the
      // export links over the chart; forceActionsMenu keeps them folded in it.
      var options = {
        actions: { export: true, source: false, compiled: false, editor: false }, renderer: "svg",
        defaultStyle: false, forceActionsMenu: true, tooltip: { disableDefaultStyle: true }
      };
      if (typeof vega !== "undefined" && vega.expressionInterpreter) {
        options.ast = true;
        options.expr = vega.expressionInterpreter;
      }
      vegaEmbed(node, spec, options).then(function () {
        // The folded menu's only content is an icon: name it for screen readers (WCAG 4.1.2),
        // in the page's language (base.html's data-chart-menu).
        var menu = node.querySelector(".vega-actions-wrapper > summary, details > summary");
        if (menu) menu.setAttribute("aria-label", document.body.getAttribute("data-chart-menu") || "Chart menu");
        node.setAttribute("data-drawn", "yes");
      })
        .catch(function (error) { node.textContent = "The chart could not be drawn: " + error; });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
