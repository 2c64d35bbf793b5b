// Polls an upload's progress and updates the bar until the ingest is done or failed.
(function () {
  "use strict";
  var box = document.getElementById("upload-progress");
  if (!box) return;
  var bar = document.getElementById("bar");
  var count = document.getElementById("upload-count");
  var status = document.getElementById("upload-status");
  var message = document.getElementById("upload-message");
  var link = document.getElementById("upload-batch");
  var waiting = document.getElementById("upload-waiting");
  var labels = { queued: "Queued", running: "Running", done: "Done", failed: "Failed" };

  function show(data) {
    if (data.total) { bar.max = data.total; }
    bar.value = data.done;
    count.textContent = data.done.toLocaleString("en") + (data.total ? " of " + data.total.toLocaleString("en") : "");
    status.textContent = labels[data.status] || data.status;
    message.textContent = data.message;
    if (waiting && data.status !== "queued") { waiting.hidden = true; }
    if (data.batch_id && link.hidden) {
      var a = document.createElement("a");
      a.href = "../../batches/" + data.batch_id + "/";
      a.textContent = "Ingest report";
      link.appendChild(a);
      link.hidden = false;
    }
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        show(data);
        if (data.status === "queued" || data.status === "running") { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.status === "queued" || box.dataset.status === "running") { poll(); }
})();
