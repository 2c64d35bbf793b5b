// Keeps the what-if page's slider and number in step and updates the figures as the slider
// moves, from the curve the page carries (a <script type="application/json"> block). Figures
// are written as the page's own filters write them, in the page's language (figure, percent).
(function () {
  "use strict";
  var slider = document.getElementById("what-if-slider");
  var number = document.getElementById("what-if-percent");
  var readout = document.getElementById("what-if-readout");
  var source = document.getElementById("what-if-curve");
  if (!slider || !number || !readout || !source) return;
  var curve = JSON.parse(source.textContent);
  var expected = readout.dataset.expected ? Number(readout.dataset.expected) : null;

  var lang = document.documentElement.lang || undefined;
  var count = new Intl.NumberFormat(lang, { useGrouping: "always" });
  var rate = new Intl.NumberFormat(lang, { maximumFractionDigits: 1, useGrouping: false });
  var share = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false });
  // rounded as before (toFixed), then written with the language's decimal sign
  function percent(value) { return share.format(Number((value * 100).toFixed(1))) + "%"; }
  function set(name, text) {
    var node = readout.querySelector('[data-field="' + name + '"]');
    if (node) node.textContent = text;
  }
  function show(value) {
    var point = null;
    curve.forEach(function (p) { if (Math.abs(p.percent - value) < 1e-9) point = p; });
    if (!point) return;
    set("percent", rate.format(point.percent));
    set("inspected", count.format(point.inspected));
    set("frauds_found", count.format(point.frauds_found));
    set("frauds_share", percent(point.frauds_share));
    set("revenue_share", percent(point.revenue_share));
    set("hit_rate", percent(point.hit_rate));
    if (expected !== null) set("daily", count.format(Math.ceil(value * expected / 100)));
  }
  slider.addEventListener("input", function () { number.value = slider.value; show(Number(slider.value)); });
  number.addEventListener("input", function () { slider.value = number.value; show(Number(number.value)); });
})();
