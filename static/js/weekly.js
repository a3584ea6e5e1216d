// The weekly analysis on screen: its charts (Chart.js, vendored in static/vendor/), drawn from each
// canvas's data-chart (labels, datasets; horizontal and stacked flags).
(function () {
  "use strict";

  var COLOURS = ["#1f5fa8", "#c0392b", "#2e7d32", "#8e6c00", "#6a1b9a", "#00838f", "#5d4037", "#455a64"];

  var LABEL_MAX = 22;  // a long category is cut on the axis; the tooltip shows it whole

  function shortLabel(value) {
    var label = String(this.getLabelForValue(value));
    return label.length > LABEL_MAX ? label.slice(0, LABEL_MAX - 1) + "…" : label;
  }

  function draw(canvas) {
    var spec;
    try {
      spec = JSON.parse(canvas.getAttribute("data-chart"));
    } catch (e) {
      return;
    }
    if (!spec || !spec.labels || !spec.labels.length) {
      return;  // the page says "no rows" instead
    }
    var datasets = spec.datasets.map(function (set, i) {
      return { label: set.label, data: set.data, backgroundColor: set.colour || COLOURS[i % COLOURS.length] };
    });
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: datasets.length > 1, position: "bottom" } },
        scales: {
          x: { stacked: !!spec.stacked, beginAtZero: true, ticks: spec.horizontal ? { precision: 0 } : { callback: shortLabel } },
          y: { stacked: !!spec.stacked, beginAtZero: true, ticks: spec.horizontal ? { callback: shortLabel } : { precision: 0 } }
        }
      }
    });
  }

  function init() {
    if (window.Chart) {
      window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
