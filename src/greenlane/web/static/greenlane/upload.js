// Polls an upload's progress and updates the bar until the ingest is done or failed. The words
// come from the template: the status in data-label-<status> of #upload-status, "{done} of
// {total}" in data-of of #upload-count and the report link's text in data-link-text of
// #upload-batch; numbers are written in the page's language.
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
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined, { useGrouping: "always" });

  // "{done} of {total}" with its places filled in one pass (a value is never read as a place).
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (place, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : place;
    });
  }

  function show(data) {
    if (data.total) { bar.max = data.total; }
    bar.value = data.done;
    count.textContent = data.total
      ? fill(count.dataset.of || "{done} / {total}", { done: number.format(data.done), total: number.format(data.total) })
      : number.format(data.done);
    status.textContent = status.getAttribute("data-label-" + data.status) || data.status;
    message.textContent = data.message;
    if (waiting && data.status !== "queued") { waiting.hidden = true; }
    if (data.batch_id && link.hidden) {
      var a = document.createElement("a");
      a.href = "../../batches/" + data.batch_id + "/";
      a.textContent = link.dataset.linkText || String(data.batch_id);
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
