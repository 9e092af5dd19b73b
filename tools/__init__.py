"""What `make` runs that is not a test: the Node bootstrap, the server
harness, the site build, the badge plugin,
the bench, and the paths and captured-output reader they share with the tests and macros.

Nothing here imports from ``tests/``; the tests import from here.
"""
