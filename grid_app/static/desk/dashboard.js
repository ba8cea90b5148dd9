/* Dashboard charts (Chart.js, vendored) and sortable indicator tables. Strings come from the page. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dash-data").textContent);
  var red = "#c8102e", green = "#10b981", blue = "#2563eb", amber = "#f59e0b";
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;

  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { return new Chart(canvas, config); }
    return null;
  }

  chart("trend-chart", {
    type: "line",
    data: {labels: data.weeks, datasets: [
      {label: data.labels.logged, data: data.logged, borderColor: red, backgroundColor: red, tension: 0.2, cubicInterpolationMode: "monotone"},
      {label: data.labels.closed, data: data.closed, borderColor: green, backgroundColor: green, tension: 0.2, cubicInterpolationMode: "monotone"}]},
    options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}},
                       x: {title: {display: true, text: data.labels.week}}},
              interaction: {mode: "index", intersect: false}}
  });

  chart("category-chart", {
    type: "bar",
    data: {labels: data.categories, datasets: [{label: data.labels.cases, data: data.counts, backgroundColor: amber}]},
    options: {indexAxis: "y", plugins: {legend: {display: false}}, scales: {x: {beginAtZero: true, ticks: {precision: 0}}}}
  });

  if (data.rates) {
    var colours = {grid_rate: blue, community_rate: green, on_time_rate: red};
    chart("rates-chart", {
      type: "bar",
      data: {labels: data.communities, datasets: Object.keys(data.rates).map(function (key) {
        return {label: data.rate_labels[key], backgroundColor: colours[key],
                data: data.rates[key].map(function (v) { return v === null ? null : Math.round(v * 1000) / 10; })};
      })},
      options: {scales: {y: {beginAtZero: true, max: 100, ticks: {callback: function (v) { return v + "%"; }}}}}
    });
  }

  /* Sort a table by a column: numbers by value (empty last), text in the page's language order. */
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("th[data-sort]");
    heads.forEach(function (th, index) {
      th.tabIndex = 0;
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.dataset.sort === "num";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[index].dataset.value, y = b.cells[index].dataset.value;
          if (numeric) {
            if (x === "" && y === "") { return 0; }
            if (x === "") { return 1; }
            if (y === "") { return -1; }
            return ascending ? x - y : y - x;
          }
          return ascending ? x.localeCompare(y, document.documentElement.lang) : y.localeCompare(x, document.documentElement.lang);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  });
}());
