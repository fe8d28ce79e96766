// /reset-password#<token>: the link's token travels in the fragment (never sent to a server, never
// in a log or a Referer); this copies it into the form and takes it off the address bar.
document.addEventListener("DOMContentLoaded", function () {
  var field = document.getElementById("token");
  if (field && window.location.hash.length > 1) {
    field.value = window.location.hash.slice(1);
    window.history.replaceState(null, "", window.location.pathname);
  }
});
