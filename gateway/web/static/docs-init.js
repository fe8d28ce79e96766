// Swagger UI over the gateway's OpenAPI document (gateway/web/docs.py). "Authorize" takes the
// bearer token from POST /api/v1/auth/token; it is kept across reloads of this page only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    showExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [],
    layout: "BaseLayout"
  });
});
