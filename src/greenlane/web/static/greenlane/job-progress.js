// Polls a background job's progress (elements marked data-progress-url) while it is queued or
// running, and reloads the page when it ends. The endpoint answers {status, progress, text};
// elements marked data-progress-status show the status as it changes, in the words their
// template gives (data-label-queued, data-label-running, data-label-done, data-label-failed).
(function () {
  "use strict";
  var boxes = document.querySelectorAll("[data-progress-url]");
  Array.prototype.forEach.call(boxes, function (box) {
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-progress-text]");
    function poll() {
      fetch(box.dataset.progressUrl, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (bar) bar.value = data.progress;
          if (text) text.textContent = data.text;
          Array.prototype.forEach.call(document.querySelectorAll("[data-progress-status]"), function (el) {
            el.textContent = el.getAttribute("data-label-" + data.status) || data.status;
          });
          if (data.status === "queued" || data.status === "running") { setTimeout(poll, 1500); }
          else { window.location.reload(); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    if (box.dataset.status === "queued" || box.dataset.status === "running") { poll(); }
  });
})();
