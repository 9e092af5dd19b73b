#!/usr/bin/env bash
# The one command that proves Redis works where the app runs: the smoke check reads the
# configuration exactly as the app does, connects, and prints server, memory and policy.
# Shown on docs/quickstart/digitalocean.md, docs/quickstart/elasticache.md,
# docs/quickstart/heroku.md, docs/quickstart/railway.md, docs/quickstart/render.md,
# docs/quickstart/self-hosted.md and docs/quickstart/upstash.md.
# Checked by tests/quickstart/test_quickstart.py: `bash -n`,
# and the "here" section runs for real against a test server. The platform CLIs (render,
# heroku, railway, aws, doctl, docker) cannot run in the test suite.
set -euo pipefail

# --8<-- [start:here]
# Any shell that has the app's environment (a platform shell, an SSH session on the box):
python -m snippets.platforms.smoke
# --8<-- [end:here]

# --8<-- [start:render]
# Render: the web service's Shell tab (paid instance types) runs inside Render's network.
python -m snippets.platforms.smoke
# --8<-- [end:render]

# --8<-- [start:heroku]
# Heroku: a one-off dyno gets the app's config vars, REDIS_URL included.
heroku run --app pharmacare-api -- python -m snippets.platforms.smoke
# --8<-- [end:heroku]

# --8<-- [start:railway]
# Railway: `railway ssh` runs inside the deployed service (its private network, its variables).
railway ssh --service pharmacare-api -- python -m snippets.platforms.smoke
# --8<-- [end:railway]

# --8<-- [start:compose]
# Docker Compose: inside the app container, on the Compose network.
docker compose exec app python -m snippets.platforms.smoke
# --8<-- [end:compose]
