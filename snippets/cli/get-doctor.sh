#!/usr/bin/env bash
# Fetch the Node doctor into the app's directory and check its SHA-256 against the one on
# docs/troubleshooting/doctor.md. Run by tests/cli/test_download.py against a built site.
set -eu
GUIDE="${GUIDE:-https://pharmacare-redis-guide.netlify.app/latest}"

# --8<-- [start:node]
# In a Node service's shell (node:*-slim images have no curl): Node 18+ can fetch.
node -e 'fetch(process.argv[1]).then(r => { if (!r.ok) throw new Error(r.status); return r.text() })
  .then(t => require("fs").writeFileSync("redis-doctor.mjs", t))' "$GUIDE/downloads/redis-doctor.mjs"
node -e 'const f = require("fs").readFileSync("redis-doctor.mjs");
  console.log(require("crypto").createHash("sha256").update(f).digest("hex"))'
# --8<-- [end:node]

# --8<-- [start:curl]
# On a VM or a laptop with curl and coreutils:
curl -fsSLO "$GUIDE/downloads/redis-doctor.mjs"
sha256sum redis-doctor.mjs
# --8<-- [end:curl]
