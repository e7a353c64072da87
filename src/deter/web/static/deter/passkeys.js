// Beside django-otp-webauthn's own scripts (served from the package's static files, never
// copied here), on the pages with a passkey button. A classic script, so it runs before them.
//
// Their messages are English in the package and pass through Django's JavaScript catalogue
// (gettext) when a page loads one; Deter is in English only, so they are used as they are.
window.gettext = window.gettext || ((text) => text);

// Once a passkey is made, go on to the page that shows it (the account page).
document.addEventListener("otp_webauthn.register_complete", (event) => {
  const done = event.target.closest("[data-passkey-done]");
  window.location.assign((done && done.dataset.passkeyDone) || window.location.href);
});
