// Material's inline outdated-banner script (partials/javascripts/outdated.html), as a file.
(() => {
  const el = document.querySelector("[data-md-component=outdated]");
  const base = new URL(document.currentScript.getAttribute("data-base"), location);
  const outdated = __md_get("__outdated", sessionStorage, base);
  if (outdated === true && el) el.hidden = false;
})();
