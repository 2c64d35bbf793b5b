// Polls a study's progress while it is queued or running; reloads the page when it ends.
(function () {
  "use strict";
  var box = document.getElementById("trs-progress");
  if (!box) return;
  var bar = document.getElementById("trs-bar");
  var step = document.getElementById("trs-step");
  var status = document.getElementById("trs-status");
  var message = document.getElementById("trs-message");
  var labels = { draft: "Draft (not run yet)", queued: "Queued", running: "Running", done: "Done", failed: "Failed" };

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        bar.value = data.progress;
        step.textContent = data.text;
        status.textContent = labels[data.status] || data.status;
        message.textContent = data.message;
        if (data.status === "queued" || data.status === "running") { setTimeout(poll, 1000); }
        else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.status === "queued" || box.dataset.status === "running") { poll(); }
})();
