// Material's inline script that opens the tab a URL fragment points at, as a file.
(() => {
  const target = document.getElementById(location.hash.slice(1));
  if (target && target.name) target.checked = target.name.startsWith("__tabbed_");
})();
