// Interactive transcript: "Skip to ..." links seek the player and start playback, and the cue
// being played is highlighted. Without this script the links open the media at that time, and
// a search result's #t-<ms> lands on its paragraph.
(function () {
  "use strict";
  const player = document.querySelector("[data-transcript-player]");
  if (!player) return;
  const cues = Array.from(document.querySelectorAll(".cue[data-start]"));
  let current = null;

  document.addEventListener("click", function (event) {
    const link = event.target.closest("[data-seek]");
    if (!link) return;
    event.preventDefault();
    player.currentTime = Number(link.dataset.seek) / 1000;
    const playing = player.play();
    if (playing && playing.catch) playing.catch(function () {});
    player.focus({ preventScroll: true });
    player.scrollIntoView({ block: "nearest" });
  });

  function highlight() {
    const ms = player.currentTime * 1000;
    const cue = cues.find(function (c) {
      return ms >= Number(c.dataset.start) && ms < Number(c.dataset.end);
    }) || null;
    if (cue === current) return;
    if (current) {
      current.classList.remove("cue--current");
      current.removeAttribute("aria-current");
    }
    if (cue) {
      cue.classList.add("cue--current");
      cue.setAttribute("aria-current", "true");
    }
    current = cue;
  }
  player.addEventListener("timeupdate", highlight);
  player.addEventListener("seeked", highlight);

  // A search result links to ?t=<seconds>#t-<ms>: start the player there and highlight that
  // paragraph. A player can seek only once it knows the media's length.
  const start = Number(new URLSearchParams(window.location.search).get("t"));
  if (start > 0 && Number.isFinite(start)) {
    const seek = function () {
      player.currentTime = start;
      highlight();
    };
    if (player.readyState >= HTMLMediaElement.HAVE_METADATA) seek();
    else player.addEventListener("loadedmetadata", seek, { once: true });
  }
})();
