// Material's inline dismissable-announcement script, as a file (unused unless announce.dismiss).
(() => {
  const el = document.querySelector("[data-md-component=announce]");
  if (el) {
    const content = el.querySelector(".md-typeset");
    if (__md_hash(content.innerHTML) === __md_get("__announce")) el.hidden = true;
  }
})();
