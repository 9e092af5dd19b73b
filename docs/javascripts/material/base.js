// Material for MkDocs' inline helper script (partials/javascripts/base.html), as a file so the
// site's Content-Security-Policy needs no 'unsafe-inline'. The scope comes from data-scope.
__md_scope = new URL(document.currentScript.getAttribute("data-scope"), location);
__md_hash = (e) => [...e].reduce((e, _) => (e << 5) - e + _.charCodeAt(0), 0);
__md_get = (e, _ = localStorage, t = __md_scope) => JSON.parse(_.getItem(t.pathname + "." + e));
__md_set = (e, _, t = localStorage, a = __md_scope) => {
  try {
    t.setItem(a.pathname + "." + e, JSON.stringify(_));
  } catch (e) {}
};
