"""``make bench`` (``python -m tools.bench``): figures measured side by side in one run.

One module per comparison: :mod:`.start` (server start), :mod:`.app` with :mod:`.cache` and
:mod:`.queues` (the app's paths vs redis-benchmark / a plain list), :mod:`.site` (the site
build), :mod:`.verify` (the suite); :mod:`.report` prints and writes the table.
"""
