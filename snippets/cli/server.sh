#!/usr/bin/env bash
# redis-cli checks of the server's state: connections, mode, memory, persistence, latency.
#
# Run in the app's shell with the app's REDIS_URL (see connect.sh for redis://:PASSWORD@ URLs).
# valkey-cli takes the same options. Shown on docs/operations/memory-and-cost.md,
# docs/operations/monitoring.md, docs/operations/persistence.md,
# docs/troubleshooting/cluster.md, docs/troubleshooting/latency.md,
# docs/troubleshooting/memory.md, docs/troubleshooting/persistence.md and
# docs/troubleshooting/server.md. Every section is run by tests/cli/test_commands.py against a
# server in the state its page describes.
set -u

# --8<-- [start:clients]
# Connections in use against the limit, and refusals since the server started.
redis-cli --no-auth-warning -u "$REDIS_URL" INFO clients | grep -E '^(connected_clients|maxclients):'
redis-cli --no-auth-warning -u "$REDIS_URL" INFO stats | grep -E '^rejected_connections:'
# --8<-- [end:clients]

# --8<-- [start:client-list]
# Who holds the connections: one line per client (name, address, idle seconds, command).
redis-cli --no-auth-warning -u "$REDIS_URL" CLIENT LIST \
  | grep -oE ' (addr|name|idle|cmd)=[^ ]*' | paste -d' ' - - - - | head -5
# --8<-- [end:client-list]

# --8<-- [start:mode]
# standalone, cluster or sentinel (Valkey: server_mode; Redis: redis_mode)
redis-cli --no-auth-warning -u "$REDIS_URL" INFO server | grep -E '^(redis_mode|server_mode):'
redis-cli --no-auth-warning -u "$REDIS_URL" INFO cluster | grep -E '^cluster_enabled:'
# --8<-- [end:mode]

# --8<-- [start:hello]
# RESP3 (HELLO 3) is what redis-py 8 starts with; "unknown command" means it needs ?protocol=2.
redis-cli --no-auth-warning -u "$REDIS_URL" HELLO 3 | head -6
# --8<-- [end:hello]

# --8<-- [start:memory]
# Memory against maxmemory, the policy, and keys evicted since start.
redis-cli --no-auth-warning -u "$REDIS_URL" INFO memory \
  | grep -E '^(used_memory|used_memory_human|maxmemory|maxmemory_human|maxmemory_policy):'
redis-cli --no-auth-warning -u "$REDIS_URL" INFO stats | grep -E '^evicted_keys:'
# --8<-- [end:memory]

# --8<-- [start:policy]
# The eviction policy (CONFIG is blocked on some managed services: INFO memory says it too).
redis-cli --no-auth-warning -u "$REDIS_URL" CONFIG GET maxmemory-policy
# --8<-- [end:policy]

# --8<-- [start:write]
# Can the server take a write? (OOM here: memory is full and the policy is noeviction)
redis-cli --no-auth-warning -u "$REDIS_URL" SET pharmacare:doctor:probe 1 PX 10000
# --8<-- [end:write]

# --8<-- [start:key-memory]
# What one key costs, value included (SAMPLES 0: every element), and how many keys there are.
redis-cli --no-auth-warning -u "$REDIS_URL" MEMORY USAGE "${KEY:-pharmacare:cache:report:daily-sales}" SAMPLES 0
redis-cli --no-auth-warning -u "$REDIS_URL" DBSIZE
# --8<-- [end:key-memory]

# --8<-- [start:latency]
# One second of PINGs from here: min, max, average (ms) and how many; then the slow log.
redis-cli --no-auth-warning -u "$REDIS_URL" --latency --raw
redis-cli --no-auth-warning -u "$REDIS_URL" SLOWLOG LEN
# --8<-- [end:latency]

# --8<-- [start:persistence]
# AOF on? RDB save points? Did the last snapshot work, and what is not saved yet?
redis-cli --no-auth-warning -u "$REDIS_URL" INFO persistence \
  | grep -E '^(aof_enabled|rdb_last_bgsave_status|rdb_changes_since_last_save|aof_last_write_status):'
redis-cli --no-auth-warning -u "$REDIS_URL" CONFIG GET save
# --8<-- [end:persistence]

# --8<-- [start:metrics]
# The six numbers of the monitoring page, in one go.
redis-cli --no-auth-warning -u "$REDIS_URL" INFO clients | grep -E '^(connected_clients|maxclients):'
redis-cli --no-auth-warning -u "$REDIS_URL" INFO memory | grep -E '^(used_memory|maxmemory|maxmemory_policy):'
redis-cli --no-auth-warning -u "$REDIS_URL" INFO stats \
  | grep -E '^(rejected_connections|evicted_keys|keyspace_hits|keyspace_misses):'
redis-cli --no-auth-warning -u "$REDIS_URL" SLOWLOG LEN
# --8<-- [end:metrics]
