// Post-deploy smoke check: connect exactly as the app does and say what answered.
//
// The TypeScript twin of snippets/platforms/smoke.py, shown on the platform pages. Run it in
// the platform's shell after a deploy (Render Shell, `heroku run`, `railway run`):
// `node platforms/smoke.ts` from the directory holding the app's snippets.
import type { Redis } from "ioredis";
import { createRedis } from "../config/client.ts";
import { loadSettings } from "../config/settings.ts";

// --8<-- [start:describe]
const QUEUE_POLICY = "noeviction"; // background jobs must never be evicted

/** INFO as a name → value map (one section). */
function parseInfo(text: string): Map<string, string> {
  const fields = text.split("\r\n").filter((line) => line.includes(":"));
  return new Map(fields.map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)]));
}

/**
 * PING, then the server's name and version, memory limit and eviction policy.
 * Reads INFO only: some managed platforms (ElastiCache) block the CONFIG command.
 */
export async function describe(redis: Redis): Promise<Record<string, string>> {
  await redis.ping();
  const server = parseInfo(await redis.info("server"));
  const memory = parseInfo(await redis.info("memory"));
  const name = server.get("server_name") ?? "redis"; // Valkey reports server_name:valkey
  const version = server.get("valkey_version") ?? server.get("redis_version");
  return {
    server: `${name} ${version}`,
    maxmemory: memory.get("maxmemory") === "0" ? "no limit" : String(memory.get("maxmemory_human")),
    policy: String(memory.get("maxmemory_policy")),
  };
}
// --8<-- [end:describe]

export async function main(): Promise<number> {
  const settings = loadSettings(); // REDIS_URL (or REDIS_HOST & co), exactly as the app reads it
  const redis = createRedis("smoke", settings);
  try {
    const facts = await describe(redis);
    console.log(`connected to ${settings.target}`);
    for (const [key, value] of Object.entries(facts)) console.log(`  ${key}: ${value}`);
    if (facts.policy !== QUEUE_POLICY) console.log(`  warning: queues need maxmemory-policy ${QUEUE_POLICY}`);
    return 0;
  } finally {
    redis.disconnect();
  }
}

if (import.meta.main) process.exitCode = await main();
