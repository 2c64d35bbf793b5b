// Autosave of the self-test: each answer is saved when it changes (comments after a pause).
// Without JavaScript the form still works through its "Save all answers" button.
(function () {
  "use strict";
  var form = document.getElementById("selftest");
  if (!form) { return; }
  var url = form.getAttribute("data-autosave");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var counter = document.getElementById("answered");
  var timers = {};

  function show(box, text, isError) {
    var status = box.querySelector(".status");
    status.textContent = "";
    var span = document.createElement("span");
    span.className = isError ? "error" : "saved";
    span.textContent = text;
    status.appendChild(span);
  }

  // One save at a time per requirement: a change made while one is on its way is sent after
  // it, and a value already saved is not sent again.
  var state = {};

  function save(box) {
    var id = box.getAttribute("data-requirement");
    clearTimeout(timers[id]);
    delete timers[id];
    var checked = box.querySelector("input[type=radio]:checked");
    var answer = checked ? checked.value : "";
    var comment = box.querySelector("textarea").value;
    var key = answer + "\u0000" + comment;
    var s = state[id] || (state[id] = { busy: false, again: false, saved: null });
    if (s.busy) { s.again = true; return; }
    if (s.saved === key) { return; }
    s.busy = true;
    var body = new FormData();
    body.append("answer", answer);
    body.append("comment", comment);
    show(box, "Saving…", false);
    fetch(url.replace("REQ", encodeURIComponent(id)), {
      method: "POST", body: body, credentials: "same-origin", keepalive: true,
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!json || response.redirected) {
        // a login page or a CSRF refusal instead of our answer: the session has ended
        return { ok: false, data: { error: "Not saved: you are signed out. Copy your text, " +
          "reload the page and sign in again." } };
      }
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) {
        s.saved = key;
        show(box, "Saved " + result.data.saved_at, false);
        if (counter) { counter.textContent = result.data.answered; }
      } else {
        show(box, result.data.error || "Not saved", true);
      }
    }).catch(function () {
      show(box, "Not saved: the connection failed. Your answer is still on this page; try again.", true);
    }).then(function () {
      s.busy = false;
      if (s.again) { s.again = false; save(box); }
    });
  }

  // A choice saves at once; a comment after a pause in typing, or when the field is left.
  form.addEventListener("change", function (event) {
    var box = event.target.closest(".requirement");
    if (box) { save(box); }
  });
  form.addEventListener("input", function (event) {
    var box = event.target.closest(".requirement");
    if (!box || event.target.tagName !== "TEXTAREA") { return; }
    var id = box.getAttribute("data-requirement");
    show(box, "Not saved yet…", false);
    clearTimeout(timers[id]);
    timers[id] = setTimeout(function () { save(box); }, 800);
  });
  // Leaving the page with a comment still waiting: save it on the way out.
  window.addEventListener("pagehide", function () {
    Object.keys(timers).forEach(function (id) {
      var box = document.getElementById("req-" + id);
      if (box) { save(box); }
    });
  });
})();
