"""A small static server that serves a built site the way netlify.toml says Netlify will.

Applies the [[headers]] rules (every matching rule, in order) and the [[redirects]] rules
(first match wins; 3xx redirects unless a file exists there and the rule is not forced;
404 rules serve their target with status 404), pretty URLs (/dir -> /dir/ -> index.html),
and the root 404.html for anything else. Records every requested path. Loopback only.
Used by tests/site/test_published.py; `python -m tests.site.netlify_server site` to browse.
"""

from __future__ import annotations

import re
import sys
import threading
import tomllib
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]


def pattern(rule_path: str) -> re.Pattern:
    """Netlify path pattern: `*` matches anything (the splat), the rest literally."""
    return re.compile("^" + re.escape(rule_path).replace(r"\*", "(.*)") + "$")


class NetlifyRules:
    def __init__(self, toml_path: Path = ROOT / "netlify.toml") -> None:
        config = tomllib.loads(toml_path.read_text())
        self.headers = [(pattern(h["for"]), h["values"]) for h in config.get("headers", [])]
        self.redirects = config.get("redirects", [])

    def headers_for(self, path: str) -> dict[str, str]:
        values: dict[str, str] = {}
        for regex, rule in self.headers:
            if regex.match(path):
                for name, value in rule.items():
                    values[name] = f"{values[name]}, {value}" if name in values else value
        return values

    def redirect_for(self, path: str, exists) -> tuple[int, str] | None:
        for rule in self.redirects:
            match = pattern(rule["from"]).match(path)
            if not match:
                continue
            status = int(rule.get("status", 301))
            target = rule["to"].replace(":splat", match.group(1) if match.groups() else "")
            if status == 404:
                return (404, target) if not exists(path) else None
            if rule.get("force") or not exists(path):
                return status, target
        return None


class Handler(SimpleHTTPRequestHandler):
    rules: NetlifyRules
    requests: list[str]

    def log_message(self, format, *args) -> None:  # quiet
        pass

    def _exists(self, path: str) -> bool:
        local = Path(self.directory) / unquote(path).lstrip("/")
        return local.is_file() or (local / "index.html").is_file()

    def end_headers(self) -> None:
        for name, value in self.rules.headers_for(self._path).items():
            self.send_header(name, value)
        super().end_headers()

    def _serve_status(self, status: int, target: str) -> None:
        body = (Path(self.directory) / target.lstrip("/")).read_bytes()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._path = urlsplit(self.path).path
        self.requests.append(self._path)
        redirect = self.rules.redirect_for(self._path, self._exists)
        if redirect and redirect[0] == 404:
            return self._serve_status(404, redirect[1])
        if redirect:
            self.send_response(redirect[0])
            self.send_header("Location", redirect[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if not self._exists(self._path) and not self._path.endswith("/"):
            return self._serve_status(404, "/404.html")
        local = Path(self.directory) / unquote(self._path).lstrip("/")
        if self._path.endswith("/") and not (local / "index.html").is_file():
            return self._serve_status(404, "/404.html")
        return super().do_GET()

    do_HEAD = do_GET


class NetlifyServer:
    """``with NetlifyServer(site) as server: server.url``; ``server.requests`` lists paths."""

    def __init__(self, site: Path, rules: NetlifyRules | None = None) -> None:
        self.requests: list[str] = []
        handler = type(
            "BoundHandler",
            (Handler,),
            {"rules": rules or NetlifyRules(), "requests": self.requests},
        )
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(site)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> NetlifyServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":
    with NetlifyServer(Path(sys.argv[1] if len(sys.argv) > 1 else "site")) as server:
        print(f"serving {sys.argv[1:] or ['site']} with netlify.toml rules at {server.url}/")
        threading.Event().wait()
