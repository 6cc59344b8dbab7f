// Year of Care web app: draws each page's Vega-Lite charts (vendored Vega, no CDN) and applies
// filters as soon as one changes. No data is fetched from anywhere but this server.
"use strict";
(function () {
  function drawCharts() {
    if (typeof window.vegaEmbed !== "function") { return; }
    document.querySelectorAll(".chart[data-spec]").forEach(function (el) {
      var holder = document.getElementById(el.getAttribute("data-spec"));
      if (!holder) { return; }
      var spec = JSON.parse(holder.textContent);
      window.vegaEmbed(el, spec, {
        renderer: "svg",
        actions: { export: true, source: false, compiled: false, editor: false },
      }).then(function () { el.setAttribute("data-drawn", "1"); })
        .catch(function (err) { el.textContent = "Chart could not be drawn: " + err; });
    });
  }
  function autoFilters() {
    var form = document.getElementById("filters");
    if (!form) { return; }
    form.querySelectorAll("select").forEach(function (s) {
      s.addEventListener("change", function () {
        // drop empty fields so addresses stay short and shareable
        form.querySelectorAll("select").forEach(function (x) { x.disabled = x.disabled || x.value === ""; });
        form.submit();
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { drawCharts(); autoFilters(); });
})();
