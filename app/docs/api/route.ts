import swaggerUiPackage from 'swagger-ui-dist/package.json';

/**
 * GET /docs/api – the interactive API reference: Swagger UI (self-hosted, ./assets) over /api/v1/openapi.json.
 * "Try it out" calls the API on this origin; signed in, the browser's session is the credential, or
 * "Authorize" takes an access token or an API key. Public, like the document it shows.
 */
const VERSION = encodeURIComponent(swaggerUiPackage.version);

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference · Cryptobot</title>
<link rel="stylesheet" href="/docs/api/assets/swagger-ui.css?v=${VERSION}">
<style>
  body { margin: 0; font-family: system-ui, sans-serif; background: #fff; color: #1f2937; }
  header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: baseline; padding: .75rem 1rem; border-bottom: 1px solid #e5e7eb; }
  header h1 { font-size: 1.125rem; margin: 0; }
  header a { color: #2563eb; }
  #status { margin: 1.5rem 1rem; }
  #status[data-state="error"] { color: #b91c1c; }
  .swagger-ui .wrapper { padding: 0 .75rem; }
  .swagger-ui .opblock .opblock-summary { flex-wrap: wrap; }
  .swagger-ui .opblock .opblock-summary-path { word-break: break-all; }
</style>
</head>
<body>
<header>
  <h1>Cryptobot API reference</h1>
  <a href="/api/v1/openapi.json">openapi.json</a>
  <a href="/">Back to the app</a>
</header>
<p id="status" role="status">Loading the API reference…</p>
<noscript><p>The interactive reference needs JavaScript; the document itself is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></noscript>
<div id="reference"></div>
<script src="/docs/api/assets/swagger-ui-bundle.js?v=${VERSION}"></script>
<script>
(function () {
  var status = document.getElementById('status');
  function fail(message) {
    status.dataset.state = 'error';
    status.setAttribute('role', 'alert');
    status.textContent = 'The API reference could not be loaded (' + message + '). Reload the page to try again, or read /api/v1/openapi.json.';
  }
  if (typeof window.SwaggerUIBundle !== 'function') return fail('its script did not load');
  fetch('/api/v1/openapi.json', { headers: { accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error('the document answered ' + response.status);
      return response.json();
    })
    .then(function (spec) {
      window.SwaggerUIBundle({
        spec: spec,
        dom_id: '#reference',
        deepLinking: true,
        tryItOutEnabled: false,
        persistAuthorization: false,
        withCredentials: true,
        docExpansion: 'list',
        defaultModelsExpandDepth: 0,
        onComplete: function () { status.hidden = true; },
      });
    })
    .catch(function (error) { fail(error.message); });
})();
</script>
</body>
</html>`;

export function GET(): Response {
  return new Response(PAGE, { headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'public, max-age=300' } });
}
