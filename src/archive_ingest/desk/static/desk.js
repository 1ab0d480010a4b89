// The review desk: one key per decision, zoom, and the OCR boxes placed over the photo.
// Hand-written, no build step, no inline script (the pages' Content-Security-Policy allows
// only this file). Every decision is a form POST the page also offers as a button.
"use strict";

(function () {
  const byId = (id) => document.getElementById(id);

  // The OCR words: placed in percent of the picture, so they follow it as it zooms.
  for (const box of document.querySelectorAll(".word")) {
    box.style.left = box.dataset.left + "%";
    box.style.top = box.dataset.top + "%";
    box.style.width = box.dataset.width + "%";
    box.style.height = box.dataset.height + "%";
  }
  const toggle = byId("show-boxes");
  const stage = byId("stage");
  if (toggle && stage) {
    toggle.addEventListener("change", () => stage.classList.toggle("no-boxes", !toggle.checked));
  }

  // Zoom: the stage (picture and boxes) is 100%, 150%, ... 400% of the viewport's width.
  let zoom = 100;
  function setZoom(value) {
    if (!stage) return;
    zoom = Math.max(100, Math.min(400, value));
    stage.style.width = zoom + "%";
    stage.classList.toggle("zoomed", zoom > 100);
  }
  const zoomIn = byId("zoom-in");
  const zoomOut = byId("zoom-out");
  if (zoomIn) zoomIn.addEventListener("click", () => setZoom(zoom + 50));
  if (zoomOut) zoomOut.addEventListener("click", () => setZoom(zoom - 50));
  const photo = byId("photo");
  if (photo) photo.addEventListener("dblclick", () => setZoom(zoom > 100 ? 100 : 200));

  function submit(id) {
    const form = byId(id);
    if (form) form.submit();
  }
  function go(id) {
    const link = byId(id);
    if (link) window.location.assign(link.href);
  }

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target && target.form) {
      event.preventDefault(); // Ctrl+Enter sends the form being typed in (the edit's textarea)
      target.form.submit();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) {
      if (event.key === "Escape") target.blur();
      return;
    }
    switch (event.key) {
      case "a":
        submit("accept-form");
        break;
      case "r": {
        if (!byId("reject-form")) break;
        const note = window.prompt("Why is this record rejected?", byId("reject-note").value);
        if (note === null) break;
        byId("reject-note").value = note;
        submit("reject-form");
        break;
      }
      case "e": {
        const changes = byId("changes");
        if (changes) {
          event.preventDefault();
          changes.focus();
        }
        break;
      }
      case "n":
      case "s":
        go("next");
        break;
      case "p":
        go("previous");
        break;
      case "m":
        submit("merge-form");
        break;
      case "d":
        submit("distinct-form");
        break;
      case "+":
      case "=":
        setZoom(zoom + 50);
        break;
      case "-":
        setZoom(zoom - 50);
        break;
      default:
        return;
    }
  });
})();
