"""Templates for a new page's code: copy ``example.py`` to ``snippets/<area>/<name>.py`` and
``test_example.py`` to ``tests/<area>/test_<name>.py`` (CONTRIBUTING.md says the rest).
tests/tools/test_template.py runs the template's test, so the templates keep working."""
