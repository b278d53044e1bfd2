// Swagger UI on the API's own OpenAPI document. A file of its own, not an inline script:
// the docs page's Content-Security-Policy runs scripts from 'self' only.
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    deepLinking: true,
    // The default would load a badge from validator.swagger.io: outside the policy, and
    // it would send the document away.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
