// A file larger than its form takes is refused in the browser, with its size and the limit
// (inputs marked data-max-bytes), before the upload starts: the server refuses such a request
// without reading it, which a browser may show as a broken connection rather than a message.
// The sentence comes from the page (<body data-file-too-large>, with {name}, {size} and {limit}
// in megabytes), the sizes are written in the page's language.
(function () {
  "use strict";
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 1 });
  function mb(bytes) { return number.format(bytes / 1048576); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (place, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : place;
    });
  }
  function check(input) {
    var max = Number(input.dataset.maxBytes);
    var big = Array.prototype.find.call(input.files || [], function (f) { return f.size > max; });
    var sentence = (document.body && document.body.dataset.fileTooLarge) || "{name}: {size} MB > {limit} MB";
    input.setCustomValidity(big ? fill(sentence, { name: big.name, size: mb(big.size), limit: mb(max) }) : "");
    if (big) { input.reportValidity(); }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[type=file][data-max-bytes]")) { check(event.target); }
  });
})();
