"""Declared, not guessed: what the pages show and what the tests validate (tools/shown.py).

- every section marker in snippets/ is shown by some page (no dead markers);
- every shown file that is not code is declared by a test module (``SHOWS = (...)``), and
  every declared file exists and is shown;
- a module's "Shown on docs/…" docstring line names exactly the pages that show it.
"""

from __future__ import annotations

from tools import sections, shown
from tools import paths
from tools.paths import ROOT, SNIPPETS, rel


def snippet_files() -> list:
    return [p for p in paths.snippet_files() if p.suffix != ".json"]


def test_the_recorder_sees_every_include():
    found = shown.shown()
    assert "docs/setup/configuration.md" in found[("snippets/config/client.py", "make-client")]
    assert found[("snippets/platforms/render.yaml", None)] == {"docs/platforms/render.md"}


def test_every_section_marker_is_shown_on_a_page():
    found = shown.shown()
    dead = [
        f"{rel(p)}: [start:{name}] is shown on no page (show it, or drop the markers)"
        for p in snippet_files()
        for name in sections.names(p.read_text(errors="replace"))
        if (rel(p), name) not in found and (rel(p), None) not in found
    ]
    assert not dead, "\n".join(dead)


def test_every_shown_file_has_a_validating_test():
    missing = []
    for file, _section in shown.shown():
        path = ROOT / file
        test = shown.validating_test(path)
        if test is None or not test.is_file():
            how = "its mirror test" if path.suffix in shown.CODE else "a test declaring SHOWS"
            missing.append(f"{file} is shown but has no validating test ({how})")
    assert not missing, "\n".join(missing)


def test_every_declared_file_exists_and_is_shown():
    shown_files = {file for file, _ in shown.shown()}
    problems = [
        f"{', '.join(tests)} declare {file}, which "
        + ("does not exist" if not (ROOT / file).is_file() else "no page shows")
        for file, tests in shown.declarations().items()
        if not (ROOT / file).is_file() or file not in shown_files
    ]
    assert not problems, "\n".join(problems)


def test_shown_on_lines_name_the_pages_that_show_the_module():
    wrong = []
    for module in snippet_files():
        claimed = shown.claimed_pages(module)
        if claimed is not None and claimed != shown.pages_showing(module):
            wrong.append(
                f"{rel(module)} says it is shown on {sorted(claimed)}; "
                f"pages showing it: {sorted(shown.pages_showing(module))}"
            )
    assert not wrong, "\n".join(wrong)


def test_claims_are_read_from_the_docstring(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""X.\n\nShown on docs/a/b.md and\ndocs/c.md. More text.\n"""\n')
    assert shown.claimed_pages(module) == {"docs/a/b.md", "docs/c.md"}
    module.write_text('"""X, shown nowhere."""\n')
    assert shown.claimed_pages(module) is None


def test_versions_released_before_declarations_fall_back_to_a_test_naming_the_file(
    monkeypatch,
):
    """Their checkouts have no SHOWS at all (tools/site/build.py builds them with today's
    macros): the test that names the file validates it, as then."""
    render = ROOT / "snippets" / "platforms" / "render.yaml"
    assert rel(shown.validating_test(render)) == "tests/platforms/test_render.py"
    monkeypatch.setattr(shown, "declarations", dict)
    assert rel(shown.validating_test(render)) == "tests/platforms/test_render.py"
    unnamed = "never-named-" + "anywhere.env"  # spelt apart: this file must not name it
    assert shown.validating_test(ROOT / "snippets" / "platforms" / unnamed) is None
