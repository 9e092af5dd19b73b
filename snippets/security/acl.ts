// The app as the least-privilege ACL user: connect as it, and check at startup that it is one.
//
// The TypeScript side of snippets/security/acl.py, shown on docs/operations/security.md. The
// ACL rules themselves are an operator recipe (acl.py prints the aclfile line); the Node app
// only connects as that user: REDIS_URL=redis://pharmacare-app:PASSWORD@host:6379/0 (or
// REDIS_USERNAME=pharmacare-app with REDIS_PASSWORD). Run `node security/acl.ts` (in snippets/).
import type { Redis } from "ioredis";
import { createRedis, redact } from "../config/client.ts";

// --8<-- [start:check]
export const APP_USERNAME = "pharmacare-app";

/**
 * True when this connection may run an administrator's command. Probes with CONFIG GET, which
 * changes nothing: the app user gets NOPERM. Call it once at startup and warn (not fail), so
 * an app that was given the admin password by mistake says so in its first log lines.
 */
export async function isPrivileged(client: Redis): Promise<boolean> {
  try {
    await client.config("GET", "maxmemory");
  } catch (error) {
    if (/^NOPERM/.test((error as Error).message)) return false;
    throw error;
  }
  console.warn(
    `Redis user can run CONFIG: connect as the least-privilege user ${APP_USERNAME} ` +
      "(docs/operations/security.md), not as an administrator",
  );
  return true;
}
// --8<-- [end:check]

if (import.meta.main) {
  const client = createRedis("cache");
  try {
    console.log("privileged:", await isPrivileged(client));
  } catch (error) {
    console.error(redact(error));
    process.exitCode = 1;
  } finally {
    client.disconnect();
  }
}
