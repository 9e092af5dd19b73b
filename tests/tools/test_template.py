"""The template in tools/template/ works: its test runs here, on every server kind."""

from tools.template.test_example import (  # noqa: F401 - collected from here
    test_counts_visits_per_page,
    test_demo_prints_the_total,
)
