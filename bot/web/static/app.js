/* Vigía inbox: keyboard shortcuts, toasts and small conveniences. No inline script anywhere (strict CSP);
   every page still works without this file through plain forms and links. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Wide screens show every filter; phones start with them folded away.
  var more = document.getElementById("more-filters");
  if (more && window.matchMedia("(min-width: 900px)").matches) { more.open = true; }

  var focusedId = null;
  var focusedIndex = 0;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".post-row")); }

  function focusRow(row) {
    rows().forEach(function (r) { r.classList.remove("is-focused"); });
    if (!row) { focusedId = null; return; }
    row.classList.add("is-focused");
    focusedId = row.getAttribute("data-post-id");
    focusedIndex = rows().indexOf(row);
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    if (!focusedId) { return null; }
    return document.getElementById("post-" + focusedId);
  }

  // The element the action keys apply to: the focused inbox row, or the post page's panels.
  function scope() { return currentRow() || document.getElementById("post-view"); }

  function toast(message, isError) {
    var box = document.getElementById("toast");
    if (!box || !message) { return; }
    box.textContent = message;  // textContent: server text is never parsed as HTML
    box.classList.toggle("error", !!isError);
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, isError ? 6000 : 2500);
  }

  // After `a` or `i` the server offers an undo: a "Deshacer" button in the toast for a few seconds. The
  // server checks that the change is the user's own, recent and the post's latest, and audits the undo.
  var UNDO_MS = 8000;

  function csrfToken() {
    var field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function undo(url) {
    var token = csrfToken();
    fetch(url, { method: "POST", credentials: "same-origin", body: new URLSearchParams({ csrf_token: token }),
                 headers: { "HX-Request": "true", "X-CSRF-Token": token } })
      .then(function (response) {
        return response.text().then(function (text) {
          if (response.ok) { window.location.reload(); return; }
          toast(text.slice(0, 300) || "No se pudo deshacer el cambio.", true);
        });
      })
      .catch(function () { toast("Sin conexión con el servidor: el cambio no se deshizo.", true); });
  }

  function offerUndo(url) {
    var box = document.getElementById("toast");
    if (!box || !url || box.hidden) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "toast-action";
    button.textContent = "Deshacer";
    button.addEventListener("click", function () { box.hidden = true; undo(url); });
    box.appendChild(document.createTextNode(" "));
    box.appendChild(button);
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, UNDO_MS);
  }

  function chooseOption(root, field, index) {
    var select = root.querySelector('select[data-field="' + field + '"]');
    if (!select) { return false; }
    var options = Array.prototype.filter.call(select.options, function (o) { return !o.disabled; });
    if (index >= options.length) { return false; }
    select.value = options[index].value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  var CATEGORY_KEYS = "1234567";
  var SENTIMENT_KEYS = "890";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) { return; }
    var help = document.getElementById("help");
    if (help && help.open) { return; }
    var key = e.key;
    var list = rows();
    if (key === "?") { if (help) { help.showModal(); } e.preventDefault(); return; }
    if (key === "/") {
      var search = document.querySelector("[data-search]");
      if (search) { search.focus(); search.select(); e.preventDefault(); }
      return;
    }
    if (key === "j" || key === "k") {
      if (!list.length) { return; }
      var at = list.indexOf(currentRow());
      var next = at < 0 ? 0 : Math.max(0, Math.min(list.length - 1, at + (key === "j" ? 1 : -1)));
      focusRow(list[next]);
      e.preventDefault();
      return;
    }
    if (key === "u") {
      var back = document.querySelector("[data-back]");
      if (back) { window.location.href = back.getAttribute("href"); }
      return;
    }
    var root = scope();
    if (!root) { return; }
    if (key === "o" || key === "Enter") {
      var link = root.querySelector("[data-open]");
      if (link) { window.location.href = link.getAttribute("href"); e.preventDefault(); }
      return;
    }
    if (key === "x") {
      var box = root.querySelector("input.pick");
      if (box) { box.checked = !box.checked; }
      return;
    }
    if (key === "c") {
      var note = root.querySelector("[data-note]");
      if (note) { note.focus(); e.preventDefault(); }
      return;
    }
    var button = root.querySelector('[data-shortcut="' + key + '"]');
    if (button) { button.click(); e.preventDefault(); return; }
    if (CATEGORY_KEYS.indexOf(key) >= 0 && key.length === 1) {
      if (chooseOption(root, "category", CATEGORY_KEYS.indexOf(key))) { e.preventDefault(); }
      return;
    }
    if (SENTIMENT_KEYS.indexOf(key) >= 0 && key.length === 1) {
      if (chooseOption(root, "sentiment", SENTIMENT_KEYS.indexOf(key))) { e.preventDefault(); }
    }
  });

  // Without htmx, a changed select in a row still saves (a normal form post and redirect).
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!window.htmx && t.matches && t.matches("[data-autosubmit]") && t.form) { t.form.requestSubmit(); }
    if (t.matches && t.matches("[data-select-all]")) {
      document.querySelectorAll("input.pick").forEach(function (box) { box.checked = t.checked; });
    }
  });

  document.addEventListener("click", function (e) {
    var opener = e.target.closest && e.target.closest("[data-help-open]");
    if (opener) { document.getElementById("help").showModal(); }
    var row = e.target.closest && e.target.closest(".post-row");
    if (row && !typing(e.target)) { focusRow(row); }
  });

  document.body.addEventListener("vigia-toast", function (e) {
    var detail = e.detail || {};
    toast(typeof detail === "string" ? detail : detail.value);
  });

  document.body.addEventListener("vigia-undo", function (e) {
    var detail = e.detail || {};
    if (typeof detail.url === "string" && /^\/posts\/[0-9]+\/undo$/.test(detail.url)) { offerUndo(detail.url); }
  });

  document.body.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail && e.detail.xhr;
    toast(xhr && xhr.responseText ? xhr.responseText.slice(0, 300) : "No se pudo guardar el cambio.", true);
  });

  document.body.addEventListener("htmx:sendError", function () {
    toast("Sin conexión con el servidor: el cambio no se guardó.", true);
  });

  // Keep the keyboard focus on the same row after htmx re-renders it, or on its neighbour when it left the
  // list. A MutationObserver sees both, even when the swapped element is gone and its events do not bubble
  // (class changes too: htmx settles a swapped element by restoring its new attributes a moment later).
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail && e.detail.target && e.detail.target.id === "results") { focusedId = null; focusedIndex = 0; }
  });
  new MutationObserver(function () {
    if (!focusedId) { return; }
    var same = document.getElementById("post-" + focusedId);
    if (same) {
      if (!same.classList.contains("is-focused")) { focusRow(same); }
      return;
    }
    var list = rows();
    if (list.length) { focusRow(list[Math.min(focusedIndex, list.length - 1)]); } else { focusedId = null; }
  }).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["class"] });
}());
