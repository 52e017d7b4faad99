// A live word count under a peer-review work box, counted as the server counts words
// (stoa.assessments.peer.services.count_words). Without this script the page shows the count
// of the saved draft, and the server still counts what is submitted.
(function () {
  "use strict";
  const UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff";
  const TOKEN = new RegExp(
    "[" + UNSPACED + "]|[^\\s\u2012-\u2015\u2e3a\u2e3b" + UNSPACED + "]+", "gu"
  );
  const WORDY = /[\p{L}\p{N}]/u;

  function countWords(text) {
    return (text.match(TOKEN) || []).filter(function (token) {
      return WORDY.test(token);
    }).length;
  }

  document.querySelectorAll("textarea[data-word-count]").forEach(function (box) {
    const output = document.getElementById(box.dataset.wordCount);
    if (!output) return;
    const min = box.dataset.minWords || "0";
    function update() {
      const count = countWords(box.value);
      const label = count === 1 ? box.dataset.wordsOne : box.dataset.wordsMany;
      output.textContent = label.replace("%(count)s", count).replace("%(min)s", min);
      output.classList.toggle("peer-count--short", count < Number(min));
    }
    box.addEventListener("input", update);
    // The saved draft's date and count stay until the learner types.
    if (!output.textContent.trim()) update();
  });
})();
