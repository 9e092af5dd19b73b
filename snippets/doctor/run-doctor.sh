#!/usr/bin/env bash
# Running the doctor where the app runs. Shown on docs/index.md and
# docs/troubleshooting/doctor.md.
# Checked by tests/doctor/test_run_doctor.py: `bash -n`, and the "any-box" and "json"
# sections run for real against a test server. The platform CLIs (render, heroku, railway)
# cannot run in the test suite.
set -euo pipefail

# --8<-- [start:vm]
# A plain VM (or any box with Python 3.11+ that the app runs on): install a checkout of
# this repository; pip puts the `redis-doctor` command in the venv.
GUIDE_REPO_URL="https://git.example.com/pharmacare/pharmacare-redis-guide.git"  # your team's clone URL of this guide
git clone "$GUIDE_REPO_URL" pharmacare-redis-guide
python3 -m venv ~/redis-doctor
~/redis-doctor/bin/pip install ./pharmacare-redis-guide
set -a; . /etc/pharmacare/app.env; set +a   # the same variables the app gets
~/redis-doctor/bin/redis-doctor
# --8<-- [end:vm]

# --8<-- [start:any-box]
# Where the app's code (this repo's snippets/) is already deployed: no install needed.
python -m snippets.doctor
# --8<-- [end:any-box]

# --8<-- [start:heroku]
# Heroku: a one-off dyno gets the app's config vars, REDIS_URL included.
heroku run --app pharmacare-api -- python -m snippets.doctor
# --8<-- [end:heroku]

# --8<-- [start:railway]
# Railway: `railway ssh` runs inside the deployed service (private network, its variables).
# `railway run` and `railway shell` run on YOUR machine with the variables injected: the
# private host name does not resolve there, so expect net.dns — that is not the app's view.
railway ssh --service pharmacare-api -- python -m snippets.doctor
# --8<-- [end:railway]

# --8<-- [start:json]
# For a script or a CI step: JSON on stdout, progress on stderr, exit 0 / 1 / 2.
python -m snippets.doctor --json --timeout 3 > doctor.json && echo "healthy" || echo "exit $?"
# --8<-- [end:json]

# --8<-- [start:inspect]
# Offline: only parse a URL (nothing is contacted). Quote it: it may contain & and ?.
python -m snippets.doctor --inspect 'rediss://red-xxxxx:PASSWORD@oregon-keyvalue.render.com:6379'
# --8<-- [end:inspect]
