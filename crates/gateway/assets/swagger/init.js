// Points Swagger UI at the gateway's own spec, relative to this page so BASE_PATH works.
// `validatorUrl: null` turns off the badge that sends the spec to validator.swagger.io: the
// page must work offline and must not hand the gateway's API description to a third party.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: new URL("../openapi.json", window.location.href).toString(),
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    validatorUrl: null,
  });
});
