// secscan HTML report: step through findings (buttons, or keys n / p), link marks and the list.
(function () {
  "use strict";
  var anchors = Array.prototype.slice.call(document.querySelectorAll(".anchor"));
  var counter = document.getElementById("nav-counter");
  var current = -1;
  function clear() {
    document.querySelectorAll(".current").forEach(function (el) { el.classList.remove("current"); });
  }
  function select(id) {
    clear();
    document.querySelectorAll('[data-f~="' + id + '"]').forEach(function (el) { el.classList.add("current"); });
    var row = document.getElementById("row-" + id);
    if (row) { row.classList.add("current"); row.scrollIntoView({ block: "nearest" }); }
    current = anchors.findIndex(function (a) { return a.id === "f-" + id; });
    if (counter) { counter.textContent = (current + 1) + " / " + anchors.length; }
  }
  function go(step) {
    if (!anchors.length) { return; }
    var next = (current + step + anchors.length) % anchors.length;
    var anchor = anchors[next];
    anchor.scrollIntoView({ block: "center" });
    select(anchor.id.slice(2));
  }
  var prev = document.getElementById("nav-prev"), next = document.getElementById("nav-next");
  if (prev) { prev.addEventListener("click", function () { go(-1); }); }
  if (next) { next.addEventListener("click", function () { go(1); }); }
  document.addEventListener("keydown", function (ev) {
    if (ev.target && /input|textarea/i.test(ev.target.tagName)) { return; }
    if (ev.key === "n" || ev.key === "j") { go(1); }
    if (ev.key === "p" || ev.key === "k") { go(-1); }
  });
  document.querySelectorAll("mark[data-f]").forEach(function (el) {
    el.addEventListener("click", function () { select(el.getAttribute("data-f").split(" ")[0]); });
  });
  document.querySelectorAll(".panel li[data-target]").forEach(function (el) {
    el.addEventListener("click", function () {
      var id = el.getAttribute("data-target");
      var anchor = document.getElementById("f-" + id);
      if (anchor) { anchor.scrollIntoView({ block: "center" }); }
      select(id);
    });
  });
  if (counter) { counter.textContent = "0 / " + anchors.length; }
  document.documentElement.setAttribute("data-ready", "1");
})();
