// A file larger than its form takes is refused in the browser, with its size and the limit
// (inputs marked data-max-bytes), before the upload starts: the server refuses such a request
// without reading it, which a browser may show as a broken connection rather than a message.
(function () {
  "use strict";
  function mb(bytes) { return (bytes / 1048576).toLocaleString("en", { maximumFractionDigits: 1 }); }
  function check(input) {
    var max = Number(input.dataset.maxBytes);
    var big = Array.prototype.find.call(input.files || [], function (f) { return f.size > max; });
    input.setCustomValidity(big ? big.name + " is " + mb(big.size) + " MB; the limit is " + mb(max) + " MB" : "");
    if (big) { input.reportValidity(); }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[type=file][data-max-bytes]")) { check(event.target); }
  });
})();
