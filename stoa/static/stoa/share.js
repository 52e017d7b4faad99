// "Copy link" beside the share links (stoa/templates/_share_links.html). Without this script
// the page shows the address in a read-only field to select and copy by hand; with it, a button
// copies the address and the status line says so (politely, for screen readers too). Messages
// come translated from the template's data attributes.
(function () {
  "use strict";

  document.querySelectorAll("[data-share-copy]").forEach(function (box) {
    const field = box.querySelector("[data-share-url]");
    const button = box.querySelector("[data-share-copy-button]");
    const status = box.querySelector("[data-share-status]");
    if (!field || !button || !status) return;

    function say(message) {
      // Emptied first, so that copying twice is announced twice.
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = message;
      }, 50);
    }

    function copyByHand() {
      field.focus();
      field.select();
      say(box.dataset.copyFailed);
    }

    field.addEventListener("focus", function () {
      field.select();
    });
    button.hidden = false;
    button.addEventListener("click", function () {
      if (!navigator.clipboard || !window.isSecureContext) {
        copyByHand();
        return;
      }
      navigator.clipboard.writeText(field.value).then(function () {
        say(box.dataset.copied);
      }, copyByHand);
    });
  });
})();
