// Live counts, as a small progressive enhancement: an element with data-live-src is refreshed
// from that JSON address every few seconds; each descendant with data-live="key" shows the
// value under that key. Polling stops once the JSON says "done": true. Without scripts the page
// shows the counts as they were when it loaded.
"use strict";
(function () {
  const EVERY_MS = 2000;
  function refresh(region) {
    fetch(region.dataset.liveSrc, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (values) {
        if (values === null) { return; }
        region.querySelectorAll("[data-live]").forEach(function (element) {
          const value = values[element.dataset.live];
          if (value !== undefined && String(value) !== element.textContent) {
            element.textContent = String(value);
          }
        });
        if (values.done) { region.dataset.liveDone = "true"; return; }
        window.setTimeout(function () { refresh(region); }, EVERY_MS);
      })
      .catch(function () { window.setTimeout(function () { refresh(region); }, EVERY_MS * 2); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-src]").forEach(function (region) {
      window.setTimeout(function () { refresh(region); }, EVERY_MS);
    });
  });
})();
