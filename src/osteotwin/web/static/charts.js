// osteotwin: render Plotly figures embedded as JSON in data-figure attributes (no build step).
(function () {
  "use strict";
  function render(root) {
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      if (el.dataset.rendered === "1" || typeof Plotly === "undefined") { return; }
      var figure = JSON.parse(el.dataset.figure);
      Plotly.newPlot(el, figure.data, figure.layout, {responsive: true, displaylogo: false});
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
