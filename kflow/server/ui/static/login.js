// Sign-in page: a token handed over in the link's fragment (#token=...) is submitted
// for the user. The fragment never reaches the server; drop it from the address bar
// and history before anything else happens.
"use strict";
(function () {
  const hash = new URLSearchParams(window.location.hash.slice(1));
  const token = hash.get("token");
  if (!token) return;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  const form = document.getElementById("login");
  form.elements.token.value = token;
  form.submit();
})();
