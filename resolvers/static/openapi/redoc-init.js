// tghub's ReDoc page: the legacy REST document at /openapi.json, on the page's origin.
(function () {
  "use strict";

  Redoc.init(
    new URL("/openapi.json", window.location.href).toString(),
    { expandResponses: "200", hideHostname: true },
    document.getElementById("redoc"),
  );
})();
