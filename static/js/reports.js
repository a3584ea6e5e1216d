// Report runs: live progress on the list and details pages; the request form shows the fields of the chosen kind.
(function () {
  "use strict";

  var POLL_MS = 2000;

  function activeBars() {
    return Array.prototype.filter.call(document.querySelectorAll(".report-progress"), function (el) {
      var state = el.getAttribute("data-state");
      return state === "queued" || state === "started";
    });
  }

  function statusUrl() {
    var script = document.getElementById("report-progress-script");
    return script ? script.getAttribute("data-status-url") : null;
  }

  function poll() {
    var bars = activeBars();
    var url = statusUrl();
    if (!bars.length || !url) {
      return;
    }
    var ids = bars.map(function (el) { return el.getAttribute("data-run-id"); });
    fetch(url + "?ids=" + ids.join(","), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (runs) {
        var finished = false;
        bars.forEach(function (el) {
          var run = runs[el.getAttribute("data-run-id")];
          if (!run) { return; }
          var bar = el.querySelector(".progress-bar");
          if (bar) {
            bar.style.width = run.progress + "%";
            bar.setAttribute("aria-valuenow", run.progress);
            bar.textContent = run.progress + "%";
          }
          if (run.state !== el.getAttribute("data-state")) {
            el.setAttribute("data-state", run.state);
            if (run.state === "finished" || run.state === "failed") { finished = true; }
          }
        });
        if (finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, POLL_MS);
        }
      })
      .catch(function () { window.setTimeout(poll, POLL_MS * 3); });
  }

  function showParams() {
    var select = document.getElementById("report-kind");
    if (!select) { return; }
    var update = function () {
      document.querySelectorAll(".report-param").forEach(function (group) {
        var kinds = (group.getAttribute("data-kinds") || "").split(" ");
        group.style.display = kinds.indexOf(select.value) >= 0 ? "" : "none";
      });
    };
    select.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    showParams();
    if (activeBars().length) { window.setTimeout(poll, POLL_MS); }
  });
})();
