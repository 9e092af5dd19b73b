"""The published site: every version built by tools/site/build.py, served with netlify.toml.

Static checks run everywhere; the browser checks drive the system Chromium with Playwright
(no browser download) and skip only when Chromium is missing (REQUIRE=chromium: failure).
The site is built with --skip-tests (its badges say "not verified"): the badges themselves
are checked in tests/site/test_verified.py, and `make site` runs each version's tests.
The browser checks load the site from the Netlify CLI (`netlify dev --offline`, see
tools/site/netlify_server.py), so headers, redirects, 404s and the CSP are Netlify's own.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest

from snippets.config.url_inspect import inspect
from snippets.config.url_inspect_clients import describe_differences, differences
from tests.helpers import CHROMIUM, need
from tools.site.netlify_server import NetlifyRules, pattern
from tools.site import kept
from tools.paths import ROOT
from tools.site import build as build_site

NETLIFY = tomllib.loads((ROOT / "netlify.toml").read_text())
VERSIONS, DEFAULT = build_site.load_versions()
VECTORS = json.loads((ROOT / "tests" / "config" / "url_vectors.json").read_text())
# URLs that are not in the vectors file, typed into the widget as a reader would.
EXTRA_URLS = [
    "rediss://default:s3cr3t-Pa55@eu1-example.upstash.io:6379?ssl_cert_reqs=required",
    "redis://:hunter2hunter2@10.0.0.5:6380/2?socket_timeout=5",
    "redis://default:w@rd@redis.example.org:6379",
    "rediss://red-xxxxx:topsecret99@frankfurt-keyvalue.render.com:6379/0?protocol=4",
    "redis://[2001:db8::7]:6379/1",
    "unix:///tmp/redis.sock?db=x",
    "redis://h:6379/²",  # url_inspect.inspect() raises ValueError here (reported)
    # the clients disagree: another database, a password only redis-py sends, ioredis throws
    "redis://red-xxxxx:6379/0?db=5&username=app&password=Zq7QuerySecret",
    "unix://app:Zq7SocketSecret@/run/redis.sock",
    "rediss://default:100%Zq7Percent@eu1-example.upstash.io:6379",
]


# ------------------------------------------------------------------ layout and netlify.toml


def test_every_version_is_published_with_its_pages(published):
    listed = json.loads((published / "versions.json").read_text())
    assert sorted(e["version"] for e in listed) == sorted(v["name"] for v in VERSIONS)
    by_name = {e["version"]: e for e in listed}
    for v in VERSIONS:
        assert by_name[v["name"]]["title"] == v["title"]
        assert by_name[v["name"]]["aliases"] == v.get("aliases", [])
        for folder in (v["name"], *v.get("aliases", [])):
            for page in ("index.html", "404.html", "changes/index.html"):
                assert (published / folder / page).is_file(), f"{folder}/{page}"
            assert not (published / folder).is_symlink(), "alias_type copy: no symlinks"
    assert [e for e in listed if DEFAULT in e["aliases"]], f"no version carries {DEFAULT}"


def test_root_index_redirects_to_latest_without_script(published):
    html = (published / "index.html").read_text()
    assert f'content="0; url={DEFAULT}/"' in html
    assert "<script" not in html


def test_root_404_works_from_any_depth(published):
    html = (published / "404.html").read_text()
    assets = re.findall(r'(?:href|src)="([^"#]+\.(?:css|js))"', html)
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        assert (published / asset.lstrip("/")).is_file(), asset


def test_each_version_has_its_what_changed_notes(published):
    for v in VERSIONS:
        html = (published / v["name"] / "changes" / "index.html").read_text()
        assert v["title"] in html
        for note in v["notes"]:
            assert note.split("`")[0][:40] in html, (v["name"], note)


def test_older_versions_show_the_outdated_banner_markup(published):
    for v in VERSIONS:
        html = (published / v["name"] / "index.html").read_text()
        assert "Read the latest version." in html  # hidden unless Material marks it outdated


def test_robots_txt_and_sitemaps_follow_the_published_layout(published):
    """robots.txt at the root names an absolute sitemap index; it lists the current release's
    sitemap, whose every URL sits under that release's folder and is a published page."""
    robots = (published / "robots.txt").read_text().splitlines()
    assert robots[0] == "User-agent: *" and "Disallow: /dev/" in robots
    sitemap_url = next(line.split(": ", 1)[1] for line in robots if line.startswith("Sitemap: "))
    base = os.environ.get("SITE_URL") or "https://pharmacare-redis-guide.netlify.app/"
    assert sitemap_url == base.rstrip("/") + "/sitemap.xml"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ElementTree.parse(published / "sitemap.xml").getroot()  # noqa: S314 (own build)
    assert index.tag == f"{{{ns['s']}}}sitemapindex"
    (loc,) = [e.text for e in index.findall("s:sitemap/s:loc", ns)]
    release = next(
        e["version"]
        for e in json.loads((published / "versions.json").read_text())
        if DEFAULT in e["aliases"]
    )
    assert loc == f"{base.rstrip('/')}/{release}/sitemap.xml"
    urls = [
        e.text
        for e in ElementTree.parse(published / release / "sitemap.xml").findall("s:url/s:loc", ns)  # noqa: S314
    ]
    assert urls
    for url in urls:
        assert url.startswith(f"{base.rstrip('/')}/{release}/"), url
        assert (published / url[len(base.rstrip("/")) + 1 :] / "index.html").is_file(), url


def test_netlify_build_settings():
    build = NETLIFY["build"]
    assert build["command"] == "make site" and build["publish"] == "site"
    assert re.fullmatch(r"3\.1[1-9]", build["environment"]["PYTHON_VERSION"])
    assert NETLIFY["context"]["deploy-preview"]["command"] == "make site"
    assert re.search(r"^site:.*\n\t.*-m tools\.site\.build ", (ROOT / "Makefile").read_text(), re.M)


def test_every_redirect_target_exists(published):
    for rule in NETLIFY["redirects"]:
        target = rule["to"].split(":splat")[0]
        local = published / target.lstrip("/")
        assert (
            local.is_file()
            or (local / "index.html").is_file()
            or (":splat" in rule["to"] and local.is_dir())
        ), f"redirect {rule['from']} -> {rule['to']}: nothing at {local}"


def test_every_version_folder_has_its_404_rule(published):
    folders = {e["version"] for e in json.loads((published / "versions.json").read_text())}
    folders |= {
        a for e in json.loads((published / "versions.json").read_text()) for a in e["aliases"]
    }
    rules = {r["from"] for r in NETLIFY["redirects"] if int(r.get("status", 301)) == 404}
    assert rules == {f"/{f}/*" for f in folders}


def test_security_headers_apply_to_every_path():
    rules = NetlifyRules()
    for path in ("/", "/latest/", "/0.1/setup/configuration/", "/latest/assets/x.css"):
        headers = rules.headers_for(path)
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "unsafe-eval" not in csp and "http" not in csp
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_long_cache_only_for_fingerprinted_files(published):
    long_cache = [
        pattern(h["for"])
        for h in NETLIFY["headers"]
        if "immutable" in h["values"].get("Cache-Control", "")
    ]
    assert long_cache
    matched = {p.pattern: 0 for p in long_cache}
    for file in published.rglob("*"):
        path = "/" + file.relative_to(published).as_posix()
        for regex in long_cache:
            if file.is_file() and regex.match(path):
                matched[regex.pattern] += 1
                assert re.search(r"\.[0-9a-f]{8}\.min\.(js|css)(\.map)?$", file.name), path
    assert all(matched.values()), f"a long-cache rule matches nothing: {matched}"


# ------------------------------------------------------------------ Netlify's engine


def _fetch(served, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One request to the Netlify CLI itself (no redirect followed)."""
    conn = http.client.HTTPConnection(*urlsplit(served.direct_url).netloc.split(":"), timeout=60)
    conn.request(method, path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_engine_redirects_the_root_and_unversioned_links(served):
    assert _fetch(served, "/")[0] == 302
    assert _fetch(served, "/")[1]["location"] == f"/{DEFAULT}/"
    status, headers, _ = _fetch(served, "/setup/configuration/")
    assert status == 302 and headers["location"] == f"/{DEFAULT}/setup/configuration/"


def test_engine_serves_each_versions_404_page(served, published):
    for version in ("latest", "dev", "0.1"):
        status, _, body = _fetch(served, f"/{version}/no-such-page/")
        assert status == 404, version
        assert body == (published / version / "404.html").read_bytes(), version
    status, _, body = _fetch(served, "/no-such-page/")
    assert status == 404 and body == (published / "404.html").read_bytes()


def test_engine_sends_the_security_headers(served):
    for path in ("/latest/", "/0.1/setup/configuration/", "/latest/no-such-page/", "/robots.txt"):
        status, headers, _ = _fetch(served, path)
        assert status in (200, 404), path
        csp = headers["content-security-policy"]
        assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp, path
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp, path
        assert headers["strict-transport-security"].startswith("max-age="), path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] and headers["x-frame-options"] == "DENY", path


def test_engine_in_dev_mode_sends_its_own_cache_control(served, published):
    """`netlify dev` matches our [[headers]] rules (the security headers arrive on assets) but
    replaces any Cache-Control with its own `public, max-age=0` (checked 2026-12-01 with
    netlify-cli 27.10.2: a probe header from the same rule arrived, the Cache-Control did not).
    The long-cache rules themselves are checked in test_long_cache_only_for_fingerprinted_files.
    When this fails, the CLI has started to apply them: assert `immutable` here instead."""
    css = next((published / "latest" / "assets" / "stylesheets").glob("main.*.min.css"))
    for path in ("/latest/assets/stylesheets/" + css.name, "/latest/stylesheets/extra.css"):
        status, headers, _ = _fetch(served, path)
        assert status == 200 and headers["x-frame-options"] == "DENY", path
        assert headers["cache-control"] == "public, max-age=0", path


def test_static_rules_match_the_engine(served):
    """netlify.toml read by hand (NetlifyRules) gives the headers the engine sent."""
    rules = NetlifyRules()
    for path in ("/latest/", "/dev/setup/connections/"):
        _, headers, _ = _fetch(served, path)
        for name, value in rules.headers_for(path).items():
            assert headers[name.lower()] == value, (path, name)


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._inline = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "style" in a:
            self.problems.append(f"style attribute on <{tag}>")
        if tag == "style":
            self.problems.append("<style> element")
        if any(name.startswith("on") for name in a):
            self.problems.append(f"inline event handler on <{tag}>")
        for name in ("src", "href"):
            external = re.match(r"(https?:)?//", a.get(name) or "")
            exempt = tag == "link" and a.get("rel") in ("canonical", "alternate")
            if tag in ("script", "link", "img") and external and not exempt:
                self.problems.append(f"external {tag} {a[name]}")
        self._inline = tag == "script" and "src" not in a and a.get("type") != "application/json"

    def handle_data(self, data):
        if self._inline and data.strip():
            self.problems.append(f"inline script: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        self._inline = False


def test_pages_need_nothing_the_policy_forbids(published):
    """No inline script, style or handler, nothing from another origin, in any page."""
    problems = []
    for html in published.rglob("*.html"):
        parser = _Scripts()
        parser.feed(html.read_text())
        problems += [f"{html.relative_to(published)}: {p}" for p in parser.problems]
    assert not problems, "\n".join(sorted(set(problems))[:30])


# ------------------------------------------------------------------ in Chromium


@pytest.fixture
def page(browser, served):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]

    def console(message) -> None:
        # A 404 shows up here and as a response; the 404 *documents* are expected.
        if message.type in ("error", "warning") and "Failed to load resource" not in message.text:
            page.problems.append(message.text)

    def response(resp) -> None:
        if resp.status >= 400 and resp.request.resource_type != "document":
            page.problems.append(f"{resp.status} {resp.url}")

    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    yield page
    context.close()


PAGES = [
    "/",
    "/latest/",
    "/latest/setup/configuration/",
    "/latest/troubleshooting/",
    "/latest/changes/",
    "/dev/setup/configuration/",
    "/0.1/",
    "/0.1/setup/configuration/",
    "/latest/no-such-page/",
    "/no-such-page/",
]


def test_no_csp_violation_or_error_on_any_page(page, served):
    for path in PAGES:
        response = page.goto(served.url + path, wait_until="networkidle")
        assert response is not None
        expected = 404 if "no-such-page" in path else 200
        assert response.status == expected, (path, response.status)
        assert page.evaluate("getComputedStyle(document.body).fontFamily"), path
        assert page.locator(".md-header").count() == 1, f"unstyled page at {path}"
    assert not page.problems, "\n".join(page.problems)


def test_search_finds_econnrefused(page, served):
    page.goto(served.url + "/latest/", wait_until="networkidle")
    page.locator("input.md-search__input").click()
    page.keyboard.type("ECONNREFUSED")
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15000)
    assert "ECONNREFUSED" in page.locator(".md-search-result").inner_text().upper()
    assert not page.problems, page.problems


def test_version_selector_lists_every_version(page, served):
    page.goto(served.url + "/0.1/", wait_until="networkidle")
    page.locator(".md-version__current").wait_for(timeout=15000)
    titles = page.locator(".md-version__item").all_inner_texts()
    assert [t.strip() for t in titles if t.strip()] and all(
        any(v["title"] in t for t in titles) for v in VERSIONS
    ), titles
    assert page.locator("[data-md-component=outdated]").is_visible()
    page.goto(served.url + "/latest/", wait_until="networkidle")
    page.locator(".md-version__current").wait_for(timeout=15000)
    assert not page.locator("[data-md-component=outdated]").is_visible()
    assert not page.problems, page.problems


def _rendered(page) -> dict:
    widget = page.locator("[data-pc-inspector]").first
    verdict = widget.locator(".pc-inspector__verdict")
    parts = {
        key: widget.locator(f"dd[data-part={key}]").inner_text()
        for key in ("scheme", "host", "port", "db", "username", "password")
        if widget.locator(f"dd[data-part={key}]").count()
    }
    return {
        "verdict": widget.locator("[role=status]").get_attribute("data-verdict"),
        "error": (verdict.get_attribute("data-error") or None) if verdict.count() else None,
        "findings": widget.locator(".pc-inspector__findings li").evaluate_all(
            "items => items.map(i => i.dataset.id)"
        ),
        "links": widget.locator(".pc-inspector__findings a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        ),
        "parts": parts,
        "clients": widget.locator("[data-clients-disagree]").inner_text()
        if widget.locator("[data-clients-disagree]").count()
        else None,
        "text": widget.inner_text(),
    }


def _expected(url: str) -> dict:
    if not url:
        return {"verdict": "empty", "error": None, "findings": [], "parts": {}, "clients": None}
    try:
        result = inspect(url)
    except ValueError:  # the CLI stops on these too; the widget says it cannot read them
        return {
            "verdict": "error",
            "error": "unparseable",
            "findings": [],
            "parts": {},
            "clients": None,
        }
    show = lambda v: "—" if v is None else str(v)  # noqa: E731
    ids = ([result["error"]] if result["error"] else []) + result["findings"]
    fields = differences(result["clients"])
    one_throws = fields == ["error"]  # then url.clients-disagree is a failure
    words = describe_differences(result["clients"])
    return {
        "verdict": "error"
        if result["error"] or one_throws
        else "warn"
        if result["findings"]
        else "ok",
        "clients": f"⚠ redis-py and ioredis read this URL differently: {words}."
        if fields
        else "redis-py and ioredis read this URL the same way.",
        "error": result["error"],
        "findings": ids,
        "parts": {
            "scheme": show(result["scheme"]),
            "host": show(result["host"]),
            "port": show(result["port"]),
            "db": show(result["db"]),
            "username": show(result["username"]),
            "password": "***" if result["password_set"] else "(none)",
        },
    }


ALL_URLS = [v["url"] for v in VECTORS] + EXTRA_URLS


@pytest.mark.parametrize(
    ("path", "urls"),
    [("/latest/setup/configuration/", ALL_URLS), ("/latest/troubleshooting/", ALL_URLS[::6])],
    ids=["configuration", "troubleshooting"],
)
def test_inspector_widget_gives_the_python_verdicts(page, served, path, urls):
    page.goto(served.url + path, wait_until="networkidle")
    field = page.get_by_label("Paste a Redis URL to inspect it")
    requests: list[str] = []  # any origin, not only the test server
    page.on("request", lambda request: requests.append(request.url))
    served.requests.clear()
    for url in urls:
        typed = url.replace("\n", "")
        # Fill all but the last character, then type that one: the verdict must follow a
        # real key press. (Typing a 4,400-character vector key by key takes Chromium over
        # 30 s on a busy machine; what is tested is the verdict, not the typing.)
        field.fill(typed[:-1])
        field.press_sequentially(typed[-1:], delay=0)
        got, want = _rendered(page), _expected(typed)
        assert {k: got[k] for k in want} == want, typed
        for link, finding in zip(got["links"], got["findings"], strict=True):
            group = finding.split(".")[0]
            assert link.endswith(f"/troubleshooting/{group}/#{finding.replace('.', '-')}")
        for password in re.findall(r"://[^:/@]*:([^@]+)@|[?&]password=([^&]+)", typed):
            secret = max(password, key=len)
            if len(secret) >= 8:
                assert secret not in got["text"], "password shown by the widget"
    # Chromium fetches the page's favicon lazily, sometimes while the test types: that
    # request is the browser's, not the widget's.
    icon = "/assets/images/favicon.png"
    requests = [r for r in requests if not r.endswith(icon)]
    served_requests = [r for r in served.requests if not str(r).split("?")[0].endswith(icon)]
    assert requests == [] and served_requests == [], f"the widget made requests: {requests[:5]}"
    assert not page.problems, page.problems


def test_inspector_says_how_each_client_reads_the_url(page, served):
    """The issue's case in words: a Node producer and a Python worker on two databases."""
    page.goto(served.url + "/latest/setup/configuration/", wait_until="networkidle")
    field = page.get_by_label("Paste a Redis URL to inspect it")
    field.fill("redis://default:Zq7WidgetSecret@red-xxxxx:6379/0?db=")
    field.press_sequentially("5", delay=0)
    widget = page.locator("[data-pc-inspector]").first
    sentence = widget.locator("[data-clients-disagree]")
    assert sentence.get_attribute("data-clients-disagree") == "db"
    assert "ioredis uses db 0, redis-py uses db 5" in sentence.inner_text()
    finding = widget.locator("li[data-id='url.clients-disagree']")
    assert finding.get_attribute("data-status") == "warn"
    assert widget.locator("tr[data-client=ioredis] td[data-field=db]").inner_text() == "0"
    assert widget.locator("tr[data-client=redis-py] td[data-field=db]").inner_text() == "5"
    assert "Zq7WidgetSecret" not in widget.inner_text()
    # ioredis throws on a bare % in the password: a failure, and still no password shown
    field.fill("redis://default:100%Zq7WidgetSecret@red-xxxxx:637")
    field.press_sequentially("9", delay=0)
    assert finding.get_attribute("data-status") == "fail"
    assert page.locator("[role=status]").first.get_attribute("data-verdict") == "error"
    assert "ioredis throws URIError when the client is created" in sentence.inner_text()
    assert "Zq7WidgetSecret" not in widget.inner_text()
    assert not page.problems, page.problems


def test_inspector_is_keyboard_accessible(page, served):
    page.goto(served.url + "/latest/setup/configuration/", wait_until="networkidle")
    field = page.get_by_label("Paste a Redis URL to inspect it")
    field.focus()
    page.keyboard.type("redis://localhost:6379")
    assert page.locator("[role=status]").first.inner_text().strip()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('.pc-inspector__findings') !== null")
    assert focused, "Tab from the field should reach the first finding's link"


def test_phone_width_no_horizontal_scroll_and_nav_reachable(browser, served, tmp_path):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    for path in (
        "/latest/",
        "/latest/setup/configuration/",
        "/latest/setup/connections/",
        "/latest/troubleshooting/",
        "/latest/changes/",
    ):
        page.goto(served.url + path, wait_until="networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls horizontally ({width}px wide)"
    page.goto(served.url + "/latest/setup/configuration/", wait_until="networkidle")
    page.get_by_label("Paste a Redis URL to inspect it").fill(
        "redis://default:PASSWORD@us1-example.upstash.io:6379"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot = tmp_path / "configuration-390px.png"
    page.screenshot(path=str(shot), full_page=True)
    link = page.locator("nav.md-nav--primary a.md-nav__link", has_text="What changed").first

    def on_screen() -> bool:
        box = link.bounding_box()
        return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390

    page.evaluate("window.scrollTo(0, 0)")
    assert not on_screen(), "the navigation should sit in the drawer on a phone"
    page.locator("label.md-header__button[for=__drawer]").click()  # the ☰ button
    page.wait_for_function("document.getElementById('__drawer').checked")
    link.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # the drawer's slide-in animation, for the screenshot only
    assert on_screen(), "the ☰ button should open the navigation"
    page.screenshot(path=str(tmp_path / "navigation-390px.png"))
    print(f"\nphone-width screenshots: {shot} and {tmp_path / 'navigation-390px.png'}")
    context.close()


def test_linked_tabs_remember_the_readers_choice(page, served):
    """A tab chosen once (e.g. a platform) is selected again on the next page with tabs."""
    page.goto(served.url + "/latest/setup/connections/", wait_until="networkidle")
    labels = page.locator(".tabbed-labels label")
    if labels.count() < 2:  # pragma: no cover - the page has tabs today
        pytest.fail("setup/connections has no content tabs to check")
    second = labels.nth(1)
    name = second.inner_text().strip()
    second.click()
    page.reload(wait_until="networkidle")
    checked = page.evaluate(
        "[...document.querySelectorAll('.tabbed-set > input')].filter(i => i.checked)"
        ".map(i => document.querySelector(`label[for='${i.id}']`).innerText.trim())"
    )
    assert name in checked, (name, checked)


def test_chromium_binary_is_the_system_one():
    need("chromium", Path(CHROMIUM).exists(), f"{CHROMIUM} missing")
    assert shutil.which("chromium") == CHROMIUM


def test_site_build_runs_a_versions_own_tests_for_its_badges(tmp_path):
    """Releasing a version (`--keep`): 0.1 built from its commit, its own suite run, real
    badges, stored kept (here in a temporary folder, not docs/_versions/)."""
    out = tmp_path / "site"
    summary = build_site.build(out, keep="0.1", kept_dir=tmp_path / "kept")
    assert summary["versions"] == ["0.1"] and summary["kept"] == []
    assert (tmp_path / "kept" / "0.1.tar.gz").is_file()
    html = (out / "0.1" / "setup" / "configuration" / "index.html").read_text()
    badges = re.findall(r'<p class="pc-badge" data-verified="(\w+)">(.*?)</p>', html, re.S)
    assert badges and all(state == "yes" for state, _ in badges), badges
    assert any("valkey" in text for _, text in badges) or all(
        "no server needed" in text for _, text in badges
    )
    link = re.search(r'href="(\.\./\.\./_sources/[^"]+)"', html).group(1)
    assert (out / "0.1" / "setup" / "configuration" / link).resolve().is_file()


def test_a_kept_version_is_byte_identical_across_builds(tmp_path, published):
    """Released versions are built once: `make site` unpacks them, it does not rebuild them."""
    kept_versions = [v["name"] for v in VERSIONS if kept.is_kept(v)]
    assert kept_versions, "no version is kept in docs/_versions/"
    again = tmp_path / "again"
    summary = build_site.build(again, skip_tests=True, only=set(kept_versions))
    assert summary["kept"] == kept_versions
    for name in kept_versions:
        first = sorted(p.relative_to(published / name) for p in (published / name).rglob("*"))
        second = sorted(p.relative_to(again / name) for p in (again / name).rglob("*"))
        assert first == second and first, name
        for rel in first:
            a, b = published / name / rel, again / name / rel
            assert a.is_dir() == b.is_dir() and (a.is_dir() or a.read_bytes() == b.read_bytes())
