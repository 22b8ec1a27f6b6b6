/* Dangjian — the only hand-written script. No build step. */
(function () {
  "use strict";

  // Send Django's CSRF token with every htmx request (read from <meta name="csrf-token">).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      event.detail.headers["X-CSRFToken"] = meta.content;
    }
  });

  // User menu: a <details class="user-menu">, so it opens without JS;
  // here we close it on a click outside or on Escape.
  function closeUserMenus(except) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (menu !== except) {
        menu.removeAttribute("open");
      }
    });
  }

  document.addEventListener("click", function (event) {
    closeUserMenus(event.target.closest("details.user-menu"));
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = document.querySelector("details.user-menu[open]");
      if (open) {
        open.removeAttribute("open");
        open.querySelector("summary").focus();
      }
    }
  });
})();
