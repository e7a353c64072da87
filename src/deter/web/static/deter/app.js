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

// A job's progress (the jobs pages): while a region carries data-live-refresh, fetch the page
// again every so many seconds and put the new region in its place (announced politely by its
// aria-live); when the job has ended, load the whole page once for its outcome.
const live = document.querySelector("[data-live-refresh]");
if (live) {
  const seconds = Number(live.dataset.liveRefresh) || 2;
  const poll = async () => {
    const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const next = new DOMParser().parseFromString(await response.text(), "text/html")
      .getElementById(live.id);
    if (!next || !next.hasAttribute("data-live-refresh")) {
      window.location.reload();
      return;
    }
    document.getElementById(live.id).innerHTML = next.innerHTML;
    window.setTimeout(poll, seconds * 1000);
  };
  window.setTimeout(poll, seconds * 1000);
}
