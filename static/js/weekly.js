// The weekly analysis on screen: its charts (Chart.js, vendored in static/vendor/) and the week picker.
(function () {
  "use strict";

  var COLOURS = ["#1f5fa8", "#c0392b", "#2e7d32", "#8e6c00", "#6a1b9a", "#00838f", "#5d4037", "#455a64"];

  function draw(canvas) {
    var spec;
    try {
      spec = JSON.parse(canvas.getAttribute("data-chart"));
    } catch (e) {
      return;
    }
    if (!spec || !spec.labels || !spec.labels.length) {
      canvas.parentNode.classList.add("weekly-chart-empty");
      return;
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
          x: { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 } },
          y: { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
  }

  function init() {
    if (window.Chart) {
      window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
    }
    // a recent week picked from the list goes into the week field and shows at once
    Array.prototype.forEach.call(document.querySelectorAll("select[data-week-target]"), function (select) {
      select.addEventListener("change", function () {
        var target = document.getElementById(select.getAttribute("data-week-target"));
        if (!select.value || !target) { return; }
        target.value = select.value;
        if (target.form) { target.form.submit(); }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
