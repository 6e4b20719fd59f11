// The QA page's filters, search, sorting and probe links. The page is whole without it (every probe listed,
// a link opens its detail); the Content-Security-Policy allows this script by its SHA-256 and no other.
(function () {
  "use strict";
  var qa = document.getElementById("qa-detail");
  var table = document.getElementById("qa-probes");
  if (!qa || !table) { return; }
  qa.classList.add("js");
  var form = document.getElementById("qa-filters");
  var count = document.getElementById("qa-count");
  var probes = Array.prototype.slice.call(table.tBodies);
  var text = new Map();
  probes.forEach(function (p) { text.set(p, p.textContent.toLowerCase()); });
  var field = function (id) { return document.getElementById(id); };
  var failedOnly = field("qa-failed"), journey = field("qa-journey"), channel = field("qa-channel"),
      company = field("qa-company"), search = field("qa-search");

  function matches(p) {
    var d = p.dataset;
    if (failedOnly.checked && d.status === "passed") { return false; }
    if (journey.value && d.journey !== journey.value) { return false; }
    if (channel.value && d.channel !== channel.value) { return false; }
    if (company.value && d.target !== company.value) { return false; }
    var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var haystack = text.get(p);
    return words.every(function (w) { return haystack.indexOf(w) !== -1; });
  }

  function apply() {
    var shown = 0;
    probes.forEach(function (p) {
      var ok = matches(p);
      p.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + probes.length + " probes shown";
  }

  function open(p, yes) {
    p.classList.toggle("open", yes);
    var toggle = p.querySelector("a.toggle");
    if (toggle) { toggle.setAttribute("aria-expanded", yes ? "true" : "false"); }
  }

  var STATUS = {failed: 0, error: 1, blocked: 2, undeliverable: 3, interrupted: 4, waiting: 5, passed: 6};
  var keys = {
    status: function (p) { return [STATUS.hasOwnProperty(p.dataset.status) ? STATUS[p.dataset.status] : 3]; },
    journey: function (p) { return [p.dataset.journey]; },
    target: function (p) { return [p.dataset.target]; },
    channel: function (p) { return [p.dataset.channel]; },
    persona: function (p) { return [p.dataset.persona]; },
    missed: function (p) { return [-Number(p.dataset.missed)]; },
    first: function (p) { return [p.dataset.first === "" ? Infinity : Number(p.dataset.first)]; }
  };

  function sortBy(button) {
    var th = button.closest("th");
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.querySelectorAll("th[aria-sort]"), function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var key = keys[button.dataset.sort];
    var sign = ascending ? 1 : -1;
    probes.sort(function (a, b) {
      var x = key(a)[0], y = key(b)[0];
      if (x < y) { return -sign; }
      if (x > y) { return sign; }
      return Number(a.dataset.order) - Number(b.dataset.order);
    });
    probes.forEach(function (p) { table.appendChild(p); });
  }

  function land() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (id.indexOf("probe-") !== 0) { return; }
    var p = document.getElementById(id);
    if (!p) {
      count.textContent = "probe " + id.slice(6) + " is not on this page (see scorecard.json)";
      return;
    }
    if (p.hidden) { form.reset(); apply(); }
    open(p, true);
    p.scrollIntoView({block: "start"});
  }

  form.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  table.tHead.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-sort]");
    if (button) { sortBy(button); }
  });
  table.addEventListener("click", function (e) {
    var toggle = e.target.closest("a.toggle");
    if (!toggle) { return; }
    e.preventDefault();
    var p = toggle.closest("tbody");
    open(p, !p.classList.contains("open"));
  });
  window.addEventListener("hashchange", land);
  apply();
  land();
}());
