// Search by meaning: when the site is served by `opsys serve`, the search box also asks the local
// endpoint /api/search (hybrid BM25 + embeddings). Opened as plain files, or when the endpoint is
// absent, nothing is added and Material's own search works alone.
(function () {
  "use strict";
  if (location.protocol !== "http:" && location.protocol !== "https:") return;
  var me = document.currentScript && document.currentScript.src;
  var root = me ? me.replace(/assets\/opsys\/search\.js.*$/, "") : "/";
  var available = null, timer = null, seq = 0;

  function box() {
    var result = document.querySelector(".md-search-result");
    if (!result) return null;
    var el = result.querySelector(".opsys-semantic");
    if (!el) {
      el = document.createElement("div");
      el.className = "opsys-semantic";
      result.insertBefore(el, result.firstChild);
    }
    return el;
  }

  function render(hits) {
    var el = box();
    if (!el) return;
    el.textContent = "";
    if (!hits.length) { el.hidden = true; return; }
    el.hidden = false;
    var head = document.createElement("div");
    head.className = "opsys-semantic__head";
    head.textContent = "Best matches by meaning";
    el.appendChild(head);
    hits.forEach(function (h) {
      // textContent only: titles and snippets never become markup
      var a = document.createElement("a");
      a.href = root + h.url;
      a.className = "opsys-semantic__hit";
      var t = document.createElement("div");
      t.className = "opsys-semantic__title";
      t.textContent = h.title + (h.section && h.section !== h.title ? " — " + h.section : "");
      var s = document.createElement("div");
      s.className = "opsys-semantic__snippet";
      s.textContent = h.snippet;
      a.appendChild(t); a.appendChild(s);
      el.appendChild(a);
    });
  }

  function ask(q) {
    var mine = ++seq;
    fetch(root + "api/search?k=5&q=" + encodeURIComponent(q))
      .then(function (r) {
        if (r.status === 503 && r.headers.get("Retry-After")) return null;  // busy for a moment: not gone
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (data) { if (!data) return; available = true; if (mine === seq) render(data.results || []); })
      .catch(function () { available = false; var el = box(); if (el) el.remove(); });
  }

  document.addEventListener("input", function (ev) {
    var input = ev.target;
    if (!input.classList || !input.classList.contains("md-search__input") || available === false) return;
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 3) { seq++; var el = box(); if (el) el.hidden = true; return; }  // drop answers in flight
    timer = setTimeout(function () { ask(q); }, 200);
  });
})();
