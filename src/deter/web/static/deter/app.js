// Start GOV.UK Frontend's components (error summary focus, service navigation toggle, ...).
// Loaded as a module from our own origin: the CSP allows no inline script.
import { initAll, isSupported } from "/govuk-frontend.min.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
if (isSupported()) {
  initAll();
}
