// A table wider than a narrow screen scrolls sideways (greenlane.css); a keyboard can only
// scroll what it can focus (WCAG 2.1.1), so such a table takes the focus while it overflows.
(function () {
  "use strict";
  function mark() {
    Array.prototype.forEach.call(document.querySelectorAll("main table"), function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.setAttribute("tabindex", "0");
      } else if (table.getAttribute("tabindex") === "0") {
        table.removeAttribute("tabindex");
      }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", mark); } else { mark(); }
  window.addEventListener("resize", mark);
})();
