// Interactive transcript: "Skip to ..." links seek the player and start playback, and the cue
// being played is highlighted. Without this script the links open the media at that time.
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
})();
