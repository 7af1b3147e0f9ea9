// casebook serve: reloads the page when the archive has been rebuilt.
// Served pages load it with the generation they were built at; it asks the server
// (a long poll, answered when the generation changes or after a while) and reloads
// once a newer build, or a build with errors, is there. Added by the server only:
// `casebook build` never writes it.
(function () {
  "use strict";
  var script = document.currentScript;
  var since = script && script.getAttribute("data-generation");
  if (!since || !window.fetch) {
    return;
  }
  var delay = 1000;
  function poll() {
    fetch("/__casebook/reload?since=" + encodeURIComponent(since), { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (status) {
        delay = 1000;
        if (String(status.generation) !== since) {
          window.location.reload();
        } else {
          poll();
        }
      })
      .catch(function () {
        // The server stopped or is restarting: ask again, less and less often.
        window.setTimeout(poll, delay);
        delay = Math.min(delay * 2, 30000);
      });
  }
  poll();
})();
