// Test driver (not shown on the site): runs environments through snippets/config/settings.ts
// and prints what it resolved, one JSON object per input, for tests/config/test_settings_ts.py.
import { inspect } from "node:util";
import { loadSettings, reachesThisMachine, readSwitch, RedisConfigError } from "../../snippets/config/settings.ts";

const input = JSON.parse(await new Response(process.stdin).text());
const settingsOf = (env) => {
  try {
    const s = loadSettings(env);
    const o = s.redisOptions();
    return {
      source: s.source, scheme: s.scheme, tls: s.tls, host: s.host, port: s.port, db: s.db,
      username: s.username, password_set: s.passwordSet, production: s.production,
      findings: s.findings, target: s.target, printed: inspect(s) + JSON.stringify(s),
      options: { ...o, tls: o.tls ? Object.keys(o.tls) : undefined, ca: undefined },
      rejectUnauthorized: o.tls?.rejectUnauthorized,
    };
  } catch (error) {
    if (!(error instanceof RedisConfigError)) throw error;
    return { error: error.id, message: error.message, printed: inspect(error) + String(error.stack) };
  }
};
const switchesOf = (env) => Object.fromEntries(["DISABLE_BACKGROUND_JOBS", "CACHE_PROVIDER"].map((name) => {
  try {
    return [name, readSwitch(name, env)];
  } catch (error) {
    return [name, { error: error.id, message: error.message }];
  }
}));
console.log(JSON.stringify({
  vectors: input.vectors.map(settingsOf),
  switches: input.switches.map(switchesOf),
  hosts: (input.hosts ?? []).map(reachesThisMachine),
}));
