// Small screens: the header's links behind a menu button, and each cell of a table that is
// read as cards labelled with its column's name. Without this script the header shows every
// link and the cards show their values alone: every page still works.
(function () {
  "use strict";
  var header = document.querySelector(".top");
  var toggle = header && header.querySelector(".menu-toggle");
  if (toggle) {
    header.classList.add("has-menu");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      header.classList.toggle("menu-open", open);
    });
  }
  document.querySelectorAll("table").forEach(function (table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (!names.length) return;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.cells, function (cell, index) {
        if (names[index] && !cell.hasAttribute("data-label") && !cell.hasAttribute("colspan")) {
          cell.setAttribute("data-label", names[index]);
        }
      });
    });
  });
})();
