// Heroku Key-Value Store: accept the add-on's self-signed certificate, explicitly.
//
// The TypeScript twin of snippets/platforms/heroku.py, shown beside it on docs/platforms/heroku.md.
// Heroku sets (and rotates) REDIS_URL; you cannot add options to it in the dashboard, so the
// app adds ssl_cert_reqs=none when it reads it (config/settings.ts turns that into ioredis'
// tls.rejectUnauthorized: false). Run `node platforms/heroku.ts` (`heroku run …`) to check.
import { createRedis } from "../config/client.ts";
import { loadSettings } from "../config/settings.ts";
import { describe } from "./smoke.ts";

// --8<-- [start:heroku-env]
const HEROKU_TLS_OPTION = "ssl_cert_reqs=none"; // lower-case: the Python side rejects "None"

/**
 * The environment with Heroku's rediss:// REDIS_URL told to skip certificate checks.
 *
 * The connection stays encrypted, but the client no longer proves it reached Heroku's
 * server: anyone able to intercept the traffic could pose as it. Use it only for the
 * Heroku add-on, whose certificate is self-signed and cannot be verified.
 */
export function herokuEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const url = env.REDIS_URL?.trim() ?? "";
  if (!url.startsWith("rediss://") || url.includes("ssl_cert_reqs=")) return { ...env };
  return { ...env, REDIS_URL: `${url}${url.includes("?") ? "&" : "?"}${HEROKU_TLS_OPTION}` };
}
// --8<-- [end:heroku-env]

if (import.meta.main) {
  // --8<-- [start:usage]
  const settings = loadSettings(herokuEnv());
  const redis = createRedis("cache", settings); // tls: { rejectUnauthorized: false }
  // --8<-- [end:usage]
  console.log(`connected to ${settings.target} (warnings: ${JSON.stringify(settings.findings)})`);
  for (const [key, value] of Object.entries(await describe(redis))) console.log(`  ${key}: ${value}`);
  await redis.quit();
}
