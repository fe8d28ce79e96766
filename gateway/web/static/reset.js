// /reset-password#<token>: the link's token travels in the fragment (never sent to a server, never
// in a log or a Referer); this copies it into the form and takes it off the address bar. It is
// kept in this tab's sessionStorage too, so that the page reloaded in the other language (the
// language switch comes back to /reset-password without the fragment) still holds it; the tab's
// storage goes when the tab is closed.
document.addEventListener("DOMContentLoaded", function () {
  var field = document.getElementById("token");
  if (!field) {
    return;
  }
  var key = "servis-reset-token";
  if (window.location.hash.length > 1) {
    field.value = window.location.hash.slice(1);
    try { window.sessionStorage.setItem(key, field.value); } catch (e) { /* storage off */ }
    window.history.replaceState(null, "", window.location.pathname);
  } else if (!field.value) {
    try { field.value = window.sessionStorage.getItem(key) || ""; } catch (e) { /* off */ }
  }
});
