#!/usr/bin/env bash
# Running the Node doctor (snippets/doctor/redis-doctor.mjs) where a Node app runs: it needs
# only Node >= 18 and the app's installed ioredis, so run it from the app's directory.
# Shown on docs/platforms/heroku.md, docs/platforms/railway.md, docs/platforms/render.md,
# docs/platforms/self-hosted.md and docs/troubleshooting/doctor.md.
# tests/cli/test_download.py runs the "here" and
# "json" sections for real; the platform CLIs (heroku, railway, docker) cannot run in the
# suite: their sections are checked with `bash -n` only.
set -euo pipefail

# --8<-- [start:here]
# In any shell of the service (Render Shell, a VM, a container): from the app's directory.
cd "${APP_DIR:-/app}"
node redis-doctor.mjs
# --8<-- [end:here]

# --8<-- [start:json]
# For a script: JSON on stdout, progress on stderr, exit 0 (fine) / 1 (a failing check) / 2 (usage).
node redis-doctor.mjs --json --timeout 3 > doctor.json && echo "healthy" || echo "exit $?"
# --8<-- [end:json]

# --8<-- [start:heroku]
# Heroku: a one-off dyno has the app's slug (node_modules included) and config vars.
# Commit redis-doctor.mjs to the app (or fetch it in the dyno), then:
heroku run --app pharmacare-api -- node redis-doctor.mjs
# --8<-- [end:heroku]

# --8<-- [start:railway]
# Railway: `railway ssh` opens a shell INSIDE the running service (private network, its
# variables). Not `railway run`/`railway shell`: they run on your laptop, where the private
# host name (*.railway.internal) does not resolve.
railway ssh --service pharmacare-api
# then, in that shell:
cd /app && node redis-doctor.mjs
# --8<-- [end:railway]

# --8<-- [start:compose]
# Docker Compose: exec into the RUNNING app container (same network and environment).
# node:*-slim images have neither curl nor Python: copy the file in, then run it.
docker compose cp redis-doctor.mjs app:/app/redis-doctor.mjs
docker compose exec -w /app app node redis-doctor.mjs
# --8<-- [end:compose]
