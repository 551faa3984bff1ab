// tghub's Swagger UI page: the legacy REST document at /openapi.json, on the page's origin.
// No validator badge (validatorUrl null: Swagger UI would otherwise send the document to
// validator.swagger.io) and no top bar (its preset is not vendored).
(function () {
  "use strict";

  window.ui = SwaggerUIBundle({
    url: new URL("/openapi.json", window.location.href).toString(),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
