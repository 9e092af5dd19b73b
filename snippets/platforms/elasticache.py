"""AWS ElastiCache: cluster mode enabled, with CONFIG blocked.

Shown on docs/platforms/elasticache.md and docs/quickstart/elasticache.md. The cluster
client itself is the app's
(``snippets.scaling.cluster.make_app_client``, switched on by ``REDIS_CLUSTER=true``): on
ElastiCache only configuration changes. What is specific here is reading the settings that
matter without CONFIG, which ElastiCache blocks.
Run ``python -m snippets.platforms.elasticache`` to connect and describe the cluster.
"""

from __future__ import annotations

from redis.cluster import RedisCluster


# --8<-- [start:describe-cluster]
def describe_cluster(client: RedisCluster) -> dict[str, str]:
    """Shards and eviction policy, from INFO on each primary (ElastiCache blocks CONFIG;
    set maxmemory-policy in the cache's parameter group instead)."""
    primaries = client.get_primaries()
    policies = {client.info("memory", target_nodes=node)["maxmemory_policy"] for node in primaries}
    return {"primaries": str(len(primaries)), "policy": ", ".join(sorted(policies))}


# --8<-- [end:describe-cluster]

if __name__ == "__main__":
    from snippets.scaling.cluster import make_app_client

    # --8<-- [start:usage]
    cluster = make_app_client("cache")  # REDIS_CLUSTER=true → a RedisCluster client
    cluster.set("{pharmacare}:smoke", "ok")  # a hash tag keeps related keys on one shard
    # --8<-- [end:usage]
    print("read back:", cluster.get("{pharmacare}:smoke"))
    for key, value in describe_cluster(cluster).items():
        print(f"  {key}: {value}")
    cluster.close()
