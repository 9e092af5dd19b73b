#!/usr/bin/env bash
# redis-cli checks for connecting: the network, TLS and authentication.
#
# Run in the app's shell (Render Shell, `heroku run bash`, `railway ssh`, `docker compose exec
# app sh`, a VM), where REDIS_URL is the app's own value. valkey-cli takes the same options.
# Shown on docs/troubleshooting/after-deploy.md, docs/troubleshooting/auth.md,
# docs/troubleshooting/net.md, docs/troubleshooting/server.md and docs/troubleshooting/tls.md.
# Every section is run by tests/cli/test_commands.py against a server broken in the way its
# page describes.
set -u

# --8<-- [start:empty-user]
# redis-cli reads redis://:PASSWORD@host (no user name, Heroku's shape) as the user "" and
# fails with WRONGPASS; name the default user, in this shell only:
REDIS_URL="${REDIS_URL/#redis:\/\/:/redis://default:}"
REDIS_URL="${REDIS_URL/#rediss:\/\/:/rediss://default:}"
# --8<-- [end:empty-user]

# --8<-- [start:ping]
# Refused, DNS, not Redis, NOAUTH, WRONGPASS, DENIED, allow list: the first reply says which.
# (timeout: redis-cli itself waits forever on an endpoint that never answers)
timeout 5 redis-cli --no-auth-warning -u "$REDIS_URL" PING
echo "exit status $?  (124: no answer within 5 s)"
# --8<-- [end:ping]

# --8<-- [start:tls]
# rediss:// URLs: redis-cli verifies the server's certificate against the system CAs,
# or against the CA file your provider gives you (--cacert).
timeout 5 redis-cli --no-auth-warning -u "$REDIS_URL" --tls ${REDIS_CA:+--cacert "$REDIS_CA"} PING
echo "exit status $?  (124: no TLS handshake within 5 s: a plaintext port? use redis://)"
# --8<-- [end:tls]

# --8<-- [start:tls-name]
# redis-cli checks the chain but not the host name; openssl does both
# (HOST and PORT as in the URL).
HOST_PORT="${REDIS_URL#*://}"; HOST_PORT="${HOST_PORT##*@}"; HOST_PORT="${HOST_PORT%%/*}"
timeout 5 openssl s_client -connect "$HOST_PORT" -verify_hostname "${HOST_PORT%:*}" \
  ${REDIS_CA:+-CAfile "$REDIS_CA"} -verify_return_error -brief </dev/null 2>&1 | head -3
# --8<-- [end:tls-name]

# --8<-- [start:tls-client-cert]
# A self-hosted server with tls-auth-clients yes wants a client certificate as well.
timeout 5 redis-cli --no-auth-warning -u "$REDIS_URL" --tls --cacert "$REDIS_CA" \
  --cert "$REDIS_CLIENT_CERT" --key "$REDIS_CLIENT_KEY" PING
# --8<-- [end:tls-client-cert]

# --8<-- [start:tls-insecure]
# ONLY to tell "wrong CA" from "not TLS at all": --insecure skips verification, so anyone
# in the path could impersonate the server. Never put this in the app.
timeout 5 redis-cli --no-auth-warning -u "$REDIS_URL" --tls --insecure PING
# --8<-- [end:tls-insecure]

# --8<-- [start:whoami]
# Who the URL logs in as, and whether that user may run what the app needs (NOPERM).
redis-cli --no-auth-warning -u "$REDIS_URL" ACL WHOAMI
redis-cli --no-auth-warning -u "$REDIS_URL" ACL DRYRUN "$(redis-cli --no-auth-warning \
  -u "$REDIS_URL" ACL WHOAMI)" SET pharmacare:probe 1
# --8<-- [end:whoami]

# --8<-- [start:no-password]
# Does the server let anyone in? The same URL without its credentials: PONG means yes.
redis-cli -u "$(printf '%s' "$REDIS_URL" | sed -E 's#//[^@/]*@#//#')" PING
# --8<-- [end:no-password]
