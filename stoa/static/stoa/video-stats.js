// Video statistics for the course team's research data (stoa.learning.video, which lists the
// events): each view with the device class, the milestones of the furthest point reached,
// captions, HD, the transcript used and the video downloaded. Counted in aggregate for the
// run, never shown. Loaded on video steps for learners only (learning/step.html).
//
// Events wait in a queue and go in small batches, at most every few seconds and as the page
// goes away (pagehide, or hidden), with fetch's keepalive so that they outlive the page.
// Nothing waits for an answer and a failure is dropped: the page never notices.
(function () {
  "use strict";
  const script = document.currentScript;
  const player = document.querySelector("video[data-transcript-player]");
  if (!script || !player || !window.fetch) return;
  const endpoint = script.dataset.endpoint;
  const token = script.dataset.csrf;
  const MILESTONES = [5, 10, 25, 50, 75, 95, 100];
  const SEND_EVERY_MS = 5000;
  const BATCH_MAX = 32; // as stoa.learning.video.EVENTS_MAX
  const device = deviceClass();
  let queue = [];
  let timer = null;
  let view = null; // the current view: {reached: Set, captions, hd, ended}
  const pageOnce = new Set(); // "transcript", "download": once per page

  function deviceClass() {
    const ua = navigator.userAgent || "";
    const data = navigator.userAgentData;
    if (/PlayStation|Xbox|Nintendo/i.test(ua)) return "console";
    if (/SmartTV|SMART-TV|HbbTV|NetCast|Web0S|webOS.*TV|Tizen.*TV|AppleTV|GoogleTV|Android TV|CrKey|Roku|BRAVIA|AFT[A-Z]/i.test(ua)) {
      return "tv";
    }
    const platform = data && data.platform ? data.platform : "";
    const touchMac = /Macintosh/.test(ua) && navigator.maxTouchPoints > 1; // iPadOS asks for desktop pages
    if (/iPad|Tablet|Kindle|Silk|PlayBook/i.test(ua) || touchMac) return "tablet";
    if ((platform === "Android" || /Android/i.test(ua)) && !(data ? data.mobile : /Mobile/i.test(ua))) {
      return "tablet";
    }
    if ((data && data.mobile) || /Mobi|iPhone|iPod|Android|Windows Phone|BlackBerry|Opera Mini/i.test(ua)) {
      return "mobile";
    }
    if (/^(Windows|macOS|Linux|Chrome OS|Chromium OS)$/.test(platform) || /Windows|Macintosh|X11|Linux|CrOS/.test(ua)) {
      return "desktop";
    }
    return "unknown";
  }

  function send() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    while (queue.length) {
      const body = JSON.stringify({ events: queue.splice(0, BATCH_MAX) });
      try {
        fetch(endpoint, {
          method: "POST",
          keepalive: true,
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": token },
          body: body,
        }).catch(function () {});
      } catch (error) {
        // A browser refusing the request (too much in flight as the page goes): dropped.
      }
    }
  }

  function report(event) {
    queue.push(event);
    if (timer === null) timer = setTimeout(send, SEND_EVERY_MS);
  }

  function captionsShowing() {
    return Array.prototype.some.call(player.textTracks || [], function (track) {
      return (track.kind === "captions" || track.kind === "subtitles") && track.mode === "showing";
    });
  }

  function checkView() {
    if (!view) return;
    if (!view.captions && captionsShowing()) {
      view.captions = true;
      report({ kind: "captions" });
    }
    if (!view.hd && player.videoHeight >= 720) {
      view.hd = true;
      report({ kind: "hd" });
    }
  }

  function reach(percent) {
    if (!view || view.reached.has(percent)) return;
    view.reached.add(percent);
    report({ kind: "reached", percent: percent });
  }

  function checkProgress() {
    const duration = player.duration;
    if (!view || !isFinite(duration) || duration <= 0) return;
    const done = (player.currentTime / duration) * 100;
    MILESTONES.forEach(function (percent) {
      if (percent < 100 ? done >= percent : player.currentTime >= duration - 0.25) reach(percent);
    });
  }

  player.addEventListener("play", function () {
    if (!view || view.ended) {
      view = { reached: new Set(), captions: false, hd: false, ended: false };
      report({ kind: "view", device: device });
    }
    checkView();
  });
  player.addEventListener("timeupdate", checkProgress);
  player.addEventListener("seeked", checkProgress);
  player.addEventListener("resize", checkView);
  player.addEventListener("ended", function () {
    reach(100);
    if (view) view.ended = true;
  });
  if (player.textTracks && player.textTracks.addEventListener) {
    player.textTracks.addEventListener("change", checkView);
  }

  function once(kind) {
    if (pageOnce.has(kind)) return;
    pageOnce.add(kind);
    report({ kind: kind });
  }
  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) return;
    if (event.target.closest("[data-video-download]")) once("download");
    else if (event.target.closest(".transcript a, [data-seek]")) once("transcript");
  });

  window.addEventListener("pagehide", send);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") send();
  });
})();
