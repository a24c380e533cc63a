// osteotwin: render Plotly figures embedded as JSON in data-figure attributes (no build step).
(function () {
  "use strict";
  function render(root) {
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      if (el.dataset.rendered === "1" || typeof Plotly === "undefined") { return; }
      var figure = JSON.parse(el.dataset.figure);
      // no mode bar: its "share" button uploads the chart (a patient's values) to Plotly's cloud, and its
      // hidden buttons would take keyboard focus; the page's tables and timeline carry the numbers
      Plotly.newPlot(el, figure.data, figure.layout,
                     {responsive: true, displaylogo: false, displayModeBar: false, showSendToCloud: false});
      el.dataset.rendered = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:afterSettle", function (event) { render(event.detail.elt || document); });
  // Show what-if results as soon as they are in place, and move focus there for keyboard users.
  document.addEventListener("htmx:afterSettle", function (event) {
    var heading = (event.detail.elt || document).querySelector("[data-focus-after-swap]");
    if (heading) { heading.focus(); }
  });
})();
