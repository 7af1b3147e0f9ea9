// Sorts tables with class "sortable" by a column when its heading is activated.
// Works offline; without JavaScript the tables stay readable in their built order.
(function () {
  "use strict";
  function key(row, col) {
    var cell = row.cells[col];
    if (!cell) return "";
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  }
  function sortBy(table, col, th) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    // A column is numeric when every non-empty key is a number; empty cells sort first.
    var numeric = rows.every(function (r) { var k = key(r, col); return k === "" || !isNaN(Number(k)); });
    var number = function (k) { return k === "" ? -Infinity : Number(k); };
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col);
      var d = numeric ? (number(x) === number(y) ? 0 : number(x) < number(y) ? -1 : 1)
                      : x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
      return ascending ? d : -d;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    if (!table.tHead || !table.tBodies.length) return;
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, col, th); });
    });
  });
})();
