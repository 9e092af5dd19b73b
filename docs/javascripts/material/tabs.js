// Material's inline linked-tabs script (partials/javascripts/content.html), as a file: the
// reader's last platform tab (e.g. "Render") is selected again on every page.
(() => {
  const tabs = __md_get("__tabs");
  if (!Array.isArray(tabs)) return;
  sets: for (const set of document.querySelectorAll(".tabbed-set")) {
    const labels = set.querySelector(".tabbed-labels");
    for (const tab of tabs) {
      for (const label of labels.getElementsByTagName("label")) {
        if (label.innerText.trim() === tab) {
          document.getElementById(label.htmlFor).checked = true;
          continue sets;
        }
      }
    }
  }
})();
