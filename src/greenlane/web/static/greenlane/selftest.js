// Autosave of the self-test: each answer is saved when it changes (comments after a pause).
// Without JavaScript the form still works through its "Save all answers" button. What it says
// comes from the form's data attributes, in the page's language: data-saving, data-saved (with
// {time}), data-not-saved-yet, data-not-saved, data-signed-out and data-offline.
(function () {
  "use strict";
  var form = document.getElementById("selftest");
  if (!form) { return; }
  var url = form.getAttribute("data-autosave");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var counter = document.getElementById("answered");
  var timers = {};
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined);

  // The form's words for ``name``, with {places} filled in one pass.
  function say(name, values) {
    var text = form.getAttribute("data-" + name) || name;
    return text.replace(/\{(\w+)\}/g, function (place, key) {
      return values && Object.prototype.hasOwnProperty.call(values, key) ? values[key] : place;
    });
  }

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
    show(box, say("saving"), false);
    fetch(url.replace("REQ", encodeURIComponent(id)), {
      method: "POST", body: body, credentials: "same-origin", keepalive: true,
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!json || response.redirected) {
        // a login page or a CSRF refusal instead of our answer: the session has ended
        return { ok: false, data: { error: say("signed-out") } };
      }
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) {
        s.saved = key;
        show(box, say("saved", { time: result.data.saved_at }), false);
        if (counter) { counter.textContent = number.format(result.data.answered); }
      } else {
        show(box, result.data.error || say("not-saved"), true);
      }
    }).catch(function () {
      show(box, say("offline"), true);
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
    show(box, say("not-saved-yet"), false);
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
