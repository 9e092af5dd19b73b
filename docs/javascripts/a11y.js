// Accessibility fixes for parts Material renders in the browser (mkdocs.yml extra_javascript).
// The version selector's button gets aria-label="Select version" while it shows e.g.
// "0.2 (current release)": its accessible name must contain the visible text (WCAG 2.5.3,
// axe label-content-name-mismatch), so the name becomes "0.2 (current release), select version".
// Material adds the selector to the header's title area once versions.json has loaded: only
// that small part of the page is watched (watching the whole document ran this on every one of
// Material's start-up changes: a long main-thread task, Lighthouse "total blocking time").
"use strict";

function nameVersionButtons(root) {
  for (const button of root.querySelectorAll(".md-version__current")) {
    const visible = button.textContent.trim();
    if (visible && !(button.getAttribute("aria-label") || "").startsWith(visible)) {
      button.setAttribute("aria-label", `${visible}, select version`);
    }
  }
}

for (const topic of document.querySelectorAll(".md-header__topic")) {
  new MutationObserver(() => nameVersionButtons(topic)).observe(topic, {
    childList: true,
    subtree: true,
  });
  nameVersionButtons(topic);
}
