// The real ioredis reading of URLs, for tests/config/test_url_inspect_clients.py.
// stdin: one JSON string (a URL) per line; stdout: one JSON line per URL with what
// `new Redis(url, {lazyConnect: true}).options` holds, in the shape of an inspector
// "clients" entry (the mapping is spelled out here, independently of the inspector).
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const require = createRequire(new URL("../../snippets/package.json", import.meta.url));
const { Redis } = require("ioredis");
const SAFE = Number.MAX_SAFE_INTEGER;
const safe = (n) => (typeof n === "number" && Number.isFinite(n) && Math.abs(n) <= SAFE ? n + 0 : null);

function reading(url) {
  let options;
  try {
    const client = new Redis(url, { lazyConnect: true });
    options = client.options;
    client.disconnect();
  } catch (e) {
    return { host: null, port: null, db: null, username: null, password_set: false, tls: false, tls_verify: null, error: e.constructor.name };
  }
  const socket = Boolean(options.path); // StandaloneConnector: a path wins over host/port
  const tls = Boolean(options.tls);
  return {
    host: socket ? null : options.host,
    port: socket ? null : safe(options.port),
    // the handshake sends SELECT only when options.db is truthy: NaN means database 0
    db: Number.isNaN(options.db) ? 0 : safe(options.db),
    username: options.username || null,
    password_set: Boolean(options.password),
    tls,
    tls_verify: tls ? options.tls.rejectUnauthorized !== false : null,
    error: null,
  };
}

for await (const line of createInterface({ input: process.stdin })) {
  process.stdout.write(JSON.stringify(reading(JSON.parse(line))) + "\n");
}
