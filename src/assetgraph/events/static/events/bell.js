// The notification bell's unread count, fetched after the page loads (so no page pays a
// query for it) and refreshed every minute.
(function () {
  "use strict";
  function refresh() {
    var badge = document.getElementById("notification-count");
    if (!badge) { return; }
    fetch(badge.getAttribute("data-count-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { badge.innerHTML = html; })
      .catch(function () { /* offline: keep the last count */ });
  }
  document.addEventListener("DOMContentLoaded", function () {
    refresh();
    window.setInterval(refresh, 60000);
  });
})();
