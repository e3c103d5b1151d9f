/* The one script of the attrition site, shared by every page. Every page reads fully without it; it adds
   filters whose choice the page's address keeps, the values under the pointer on a chart, and search.
   No library and nothing from the network: the site works offline, from a folder. */
(function () {
  "use strict";
  var each = function (list, f) { Array.prototype.forEach.call(list, f); };

  /* Filters: drop-downs above a table or list; its rows carry data-item and one data-<name> per drop-down. */
  function filters(box) {
    var list = box.nextElementSibling, selects = box.querySelectorAll("select");
    var items = list.querySelectorAll("[data-item]"), groups = list.querySelectorAll("[data-group]");
    var asked = new URLSearchParams(location.search);
    each(selects, function (s) {
      var wanted = asked.get(s.name);
      if (wanted && Array.prototype.some.call(s.options, function (o) { return o.value === wanted; })) s.value = wanted;
      s.addEventListener("change", function () { apply(); remember(); });
    });
    function apply() {
      var shown = 0;
      each(items, function (item) {
        var ok = Array.prototype.every.call(selects, function (s) {
          return !s.value || item.getAttribute("data-" + s.name) === s.value;
        });
        item.hidden = !ok;
        if (ok) shown++;
      });
      each(groups, function (g) { g.hidden = !g.querySelector("[data-item]:not([hidden])"); });
      box.querySelector("output").textContent = shown + " of " + items.length + " shown";
    }
    function remember() {
      var query = new URLSearchParams(location.search);
      each(selects, function (s) { if (s.value) query.set(s.name, s.value); else query.delete(s.name); });
      var q = query.toString();
      try { history.replaceState(null, "", location.pathname + (q ? "?" + q : "") + location.hash); } catch (e) { /* a file: page may refuse */ }
    }
    box.hidden = false;
    apply();
  }

  /* Charts: each figure's spots are boxes in fractions of the picture, for the wide (w) and narrow (n) drawing. */
  function chart(figure) {
    var data = JSON.parse(figure.querySelector("script.spots").textContent);
    var img = figure.querySelector("img"), tip = document.createElement("p"), current = -1;
    if (!data.w.length) return;
    tip.className = "tip"; tip.hidden = true; tip.setAttribute("role", "status");
    figure.appendChild(tip);
    figure.tabIndex = 0;
    figure.setAttribute("aria-label", "Chart: point at it, or use the arrow keys, to read its values");
    function boxes() { return /-narrow\.svg$/.test(img.currentSrc) ? data.n : data.w; }
    function show(i) {
      var b = boxes()[i], w = img.clientWidth, h = img.clientHeight;
      if (!b) { tip.hidden = true; current = -1; return; }
      current = i;
      tip.textContent = data.t[b[4]];
      tip.hidden = false;
      var x = img.offsetLeft + (b[0] + b[2]) / 2 * w, top = img.offsetTop + b[1] * h;
      var left = Math.max(0, Math.min(x - tip.offsetWidth / 2, img.offsetLeft + w - tip.offsetWidth));
      tip.style.left = left + "px";
      tip.style.top = (top - tip.offsetHeight - 8 < 0 ? img.offsetTop + b[3] * h + 8 : top - tip.offsetHeight - 8) + "px";
    }
    function nearest(e) {
      var r = img.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top, best = -1, far = 24, small = Infinity;
      each(boxes(), function (b, i) {
        var dx = Math.max(b[0] * r.width - x, 0, x - b[2] * r.width), dy = Math.max(b[1] * r.height - y, 0, y - b[3] * r.height);
        var d = Math.sqrt(dx * dx + dy * dy), area = (b[2] - b[0]) * (b[3] - b[1]);
        if (d < far || (d === far && area < small)) { best = i; far = d; small = area; }
      });
      return best;
    }
    img.addEventListener("pointermove", function (e) { show(nearest(e)); });
    img.addEventListener("pointerdown", function (e) { show(nearest(e)); });
    img.addEventListener("pointerleave", function () { show(-1); });
    figure.addEventListener("blur", function () { show(-1); });
    figure.addEventListener("keydown", function (e) {
      var n = boxes().length;
      if (e.key === "ArrowRight" || e.key === "ArrowDown") show((current + 1) % n);
      else if (e.key === "ArrowLeft" || e.key === "ArrowUp") show((current - 1 + n) % n);
      else if (e.key === "Escape") show(-1);
      else return;
      e.preventDefault();
    });
  }

  /* Search: the index (search-index.js) loads the first time a reader uses the box. */
  var KINDS = {page: "page", lab: "lab", person: "person", claim: "claim", source: "source"};
  function search(form) {
    var input = form.querySelector("input"), list = form.querySelector("ol"), root = form.getAttribute("data-root");
    var requested = false;
    var fold = function (t) { return t.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); };
    function load() {
      if (requested) return;
      requested = true;
      var script = document.createElement("script");
      script.src = root + "search-index.js";
      script.onload = run;
      document.head.appendChild(script);
    }
    function run() {
      var words = fold(input.value).split(/\s+/).filter(Boolean), entries = window.attritionSearch;
      list.textContent = "";
      if (!words.length || !entries) { list.hidden = true; return; }
      var hits = entries.filter(function (e) {
        e.f = e.f || fold(e.t + " " + e.d);
        return words.every(function (w) { return e.f.indexOf(w) >= 0; });
      });
      hits.sort(function (a, b) {
        var ta = words.every(function (w) { return fold(a.t).indexOf(w) >= 0; }) ? 0 : 1;
        var tb = words.every(function (w) { return fold(b.t).indexOf(w) >= 0; }) ? 0 : 1;
        return ta - tb;
      });
      each(hits.slice(0, 12), function (e) {
        var li = document.createElement("li"), a = document.createElement("a"), kind = document.createElement("span");
        var detail = document.createElement("span");
        kind.className = "kind"; kind.textContent = KINDS[e.k] || e.k;
        a.href = root + e.h; a.textContent = e.t;
        detail.className = "meta"; detail.textContent = e.d;
        li.appendChild(kind); li.appendChild(a); li.appendChild(detail);
        list.appendChild(li);
      });
      if (!hits.length) { var none = document.createElement("li"); none.textContent = "Nothing found."; list.appendChild(none); }
      else if (hits.length > 12) { var more = document.createElement("li"); more.className = "meta"; more.textContent = (hits.length - 12) + " more: add a word."; list.appendChild(more); }
      list.hidden = false;
    }
    form.hidden = false;
    input.addEventListener("focus", load);
    input.addEventListener("input", function () { load(); run(); });
    input.addEventListener("keydown", function (e) { if (e.key === "Escape") { input.value = ""; run(); } });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var first = list.querySelector("a");
      if (first) location.href = first.href;
    });
    document.addEventListener("click", function (e) { if (!form.contains(e.target)) list.hidden = true; });
  }

  function start() {
    each(document.querySelectorAll(".filters"), filters);
    each(document.querySelectorAll("figure.chart"), chart);
    each(document.querySelectorAll("form.search"), search);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
