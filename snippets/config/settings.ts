// Redis settings from the environment: REDIS_URL (Method 1) or REDIS_HOST & co (Method 2).
//
// The TypeScript twin of snippets/config/settings.py, shown beside it on
// docs/setup/configuration.md: same precedence, same error ids, and both run the same
// environments in tests/config/settings_vectors.json. One REDIS_URL serves a Node process and a
// Python process alike, so this resolver also refuses what redis-py would refuse.
// Run `node config/settings.ts` (in snippets/) to see what your environment resolves to.
import { readFileSync } from "node:fs";
import type { RedisOptions } from "ioredis";

// Every configuration problem carries an id: the doctor reports the same ids, and the
// troubleshooting pages have an anchor for each (troubleshooting/url/#url-invalid-port).
const MESSAGES: Record<string, string> = {
  "url.malformed": "the Redis URL cannot be parsed; check for pasted extra text",
  "url.missing-scheme": "the URL has no scheme; write redis://HOST:PORT (or rediss:// for TLS)",
  "url.unsupported-scheme": "use redis://, rediss:// (TLS) or unix://",
  "url.missing-host": "the URL names no host (or socket path)",
  "url.invalid-port": "the port must be a number from 1 to 65535",
  "url.invalid-db": "the database must be a whole number such as /0",
  "url.invalid-option": "a query option is unknown or has a value that is rejected",
  "config.missing":
    "no Redis configured: set REDIS_URL (or REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, REDIS_DB)",
  "config.localhost-in-production":
    "production is configured to use localhost; REDIS_URL probably did not reach the app",
  "config.invalid-switch": "a switch has a value outside its accepted list",
};

export class RedisConfigError extends Error {
  readonly id: string;

  constructor(id: string, detail = "") {
    // The detail names the variable or the culprit, never a password.
    super(`${id}: ${MESSAGES[id] ?? id}${detail ? ` (${detail})` : ""}`);
    this.name = "RedisConfigError";
    this.id = id;
  }
}

export interface RedisSettings {
  readonly source: "REDIS_URL" | "REDIS_HOST" | "default";
  readonly scheme: "redis" | "rediss" | "unix";
  readonly tls: boolean;
  readonly host: string | null; // the socket path for unix://
  readonly port: number | null;
  readonly db: number;
  readonly username: string | null; // "***" when it is probably a password (see below)
  readonly passwordSet: boolean;
  readonly production: boolean;
  readonly findings: readonly string[]; // warning ids, e.g. ["url.localhost"]
  readonly target: string; // printable: redis://default:***@red-xxxxx:6379/0
  // The ioredis connection options, password included: a function, so that printing or
  // JSON.stringify-ing the settings never shows the password.
  redisOptions(): RedisOptions;
}

// --8<-- [start:load-settings]
/** The variable that marks production: NODE_ENV (the Node convention) or its alias APP_ENV. */
export function productionMarker(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return ["NODE_ENV", "APP_ENV"].find((n) => env[n]?.trim().toLowerCase() === "production");
}

/** Resolve Redis settings exactly as the app does. Throws RedisConfigError. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): RedisSettings {
  const marker = productionMarker(env);
  const production = marker !== undefined;
  let parts: UrlParts;
  let source: RedisSettings["source"];
  if (env.REDIS_URL?.trim()) {
    source = "REDIS_URL";
    parts = parseRedisUrl(env.REDIS_URL, source);
  } else if (env.REDIS_HOST?.trim()) {
    source = "REDIS_HOST";
    parts = partsFromMethod2(env);
  } else if (production) {
    throw new RedisConfigError("config.missing", `${marker}=production and neither is set`);
  } else {
    source = "default";
    parts = parseRedisUrl("redis://localhost:6379/0", source);
  }
  if (production && parts.host !== null && parts.scheme !== "unix" && reachesThisMachine(parts.host)) {
    throw new RedisConfigError("config.localhost-in-production", source);
  }
  return toSettings(parts, source, production);
}
// --8<-- [end:load-settings]

interface UrlParts {
  scheme: RedisSettings["scheme"];
  host: string | null;
  port: number | null;
  db: number;
  username: string | null;
  password: string | null;
  options: Map<string, string>; // query options, e.g. ssl_cert_reqs=none
  findings: string[];
}

const SCHEMES = ["redis", "rediss", "unix"];
// Whitespace as Python's str.split() sees it, so both resolvers drop the same characters.
const SPACE = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const MAX_INT_DIGITS = 18;
const WHOLE = /^[0-9]+$/;

// Query options: the names redis-py reads from a URL. Because the same REDIS_URL may reach
// a Python process, a name outside this list (or a TLS option on redis://) is an error here
// too. This client applies db, client_name, ssl_cert_reqs and ssl_ca_certs; the others
// are redis-py tuning that ioredis sets in code (see config/client.ts).
const INT_OPTIONS = ["db", "socket_read_size", "max_connections", "health_check_interval",
  "ssl_min_version", "protocol"];
const FLOAT_OPTIONS = ["socket_timeout", "socket_connect_timeout", "timeout"];
const TLS_ONLY = ["ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile",
  "ssl_check_hostname", "ssl_include_verify_flags", "ssl_exclude_verify_flags",
  "ssl_min_version"];
const OTHER_OPTIONS = ["socket_keepalive", "retry_on_timeout", "legacy_responses",
  "client_name", "retry_on_error", "username", "password", "decode_responses"];
const CERT_REQS = ["none", "optional", "required"];

/** Parse a Redis URL the way redis-py does (so both languages agree on one REDIS_URL). */
function parseRedisUrl(raw: string, source: string): UrlParts {
  const findings: string[] = [];
  let url = raw;
  if (SPACE.test(url)) {
    findings.push("url.whitespace"); // a newline pasted with the secret: not part of it
    url = url.replace(new RegExp(SPACE, "g"), "");
  }
  const fail = (id: string, detail = ""): never => {
    throw new RedisConfigError(id, detail ? `${source}: ${detail}` : source);
  };
  const schemeEnd = url.indexOf("://");
  if (schemeEnd < 0) fail("url.missing-scheme");
  const scheme = url.slice(0, schemeEnd);
  if (!SCHEMES.includes(scheme)) {
    // valkey:// is the usual one: Valkey speaks the Redis protocol, so write redis://.
    const shown = scheme.length <= 12 && /^[a-z0-9+.-]*$/i.test(scheme) ? scheme : "this";
    fail("url.unsupported-scheme", `${shown}:// is not accepted; for Valkey too, write redis:// or rediss://`);
  }
  const rest = url.slice(schemeEnd + 3);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const tail = authorityEnd < 0 ? "" : rest.slice(authorityEnd);
  const unencoded = "the password contains @, /, ?, #, [ or ]: percent-encode it (%40 %2F %3F %23)";
  const at = authority.lastIndexOf("@");
  const userinfo = at < 0 ? "" : authority.slice(0, at);
  const hostPort = authority.slice(at + 1);
  if ((authority.includes("[") !== authority.includes("]")) || /[[\]]/.test(userinfo)) {
    fail("url.malformed", /[[\]]/.test(userinfo) ? unencoded : "");
  }
  // An unencoded '@', '/', '?' or '#' in the password moves the host into the path or query.
  if (tail.includes("@")) fail("url.malformed", unencoded);
  if (userinfo.includes("@")) findings.push("url.password-unencoded");
  const hashAt = tail.indexOf("#"); // a '#' ends the URL; with nothing after it, it is dropped
  if (hashAt >= 0 && hashAt < tail.length - 1) fail("url.malformed", "a '#' ends the URL: percent-encode it as %23");
  const beforeHash = hashAt < 0 ? tail : tail.slice(0, hashAt);
  const queryAt = beforeHash.indexOf("?");
  const path = queryAt < 0 ? beforeHash : beforeHash.slice(0, queryAt);
  // A bad query option is reported last: a bad host, port or db is named first.
  const [options, optionError] = parseQuery(queryAt < 0 ? "" : beforeHash.slice(queryAt + 1), scheme);

  const colon = userinfo.indexOf(":");
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const pass = colon < 0 ? "" : userinfo.slice(colon + 1);
  // Like redis-py, a user name or password in the query counts when the URL has none.
  const username = (user ? decode(user) : null) || options.get("username") || null;
  const password = (pass ? decode(pass) : null) || options.get("password") || null;
  // redis://SECRET@host: with no ':' the clients read SECRET as a user name, and it is
  // most likely the password. Warned, and masked in every output (the target shows ***).
  if (user && colon < 0) findings.push("url.password-as-username");
  let db = 0;
  if (options.has("db")) db = Number(options.get("db"));

  if (scheme === "unix") {
    if (!path) fail("url.missing-host");
    if (optionError) fail(...optionError);
    return { scheme: "unix", host: decode(path), port: null, db, username, password, options, findings };
  }
  let host = hostPort;
  let portText: string | null = null;
  const close = hostPort.lastIndexOf("]");
  const portColon = hostPort.indexOf(":", close + 1);
  if (portColon >= 0) {
    host = hostPort.slice(0, portColon);
    portText = hostPort.slice(portColon + 1);
  }
  if (host.startsWith("[") && !host.slice(1, -1).includes(":")) fail("url.malformed");
  host = decode(host.replace(/^\[(.*)\]$/, "$1")).toLowerCase();
  if (!host) fail("url.missing-host");
  let port = 6379;
  if (portText !== null) {
    port = WHOLE.test(portText) ? Number(portText) : -1;
    if (!(port > 0 && port < 65536)) fail("url.invalid-port");
  }
  if (path !== "" && path !== "/" && !options.has("db")) {
    const dbText = decode(path.slice(1));
    if (!WHOLE.test(dbText) || dbText.length > MAX_INT_DIGITS) fail("url.invalid-db");
    db = Number(dbText);
  }
  if (optionError) fail(...optionError);
  if (isLoopback(host)) findings.push("url.localhost");
  else if (scheme === "redis" && isPublic(host)) findings.push("url.plaintext-remote");
  return { scheme: scheme as UrlParts["scheme"], host, port, db, username, password, options, findings };
}

type OptionError = [id: string, detail: string] | null;

function parseQuery(query: string, scheme: string): [Map<string, string>, OptionError] {
  const options = new Map<string, string>();
  let error: OptionError = null;
  if (!query) return [options, error];
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq < 0) return [options, error ?? ["url.invalid-option", "each option is name=value"]];
    const name = decode(pair.slice(0, eq).replaceAll("+", " "));
    const value = decode(pair.slice(eq + 1).replaceAll("+", " "));
    if (options.has(name)) continue; // the first one counts, as in redis-py
    options.set(name, value);
    const number = value.trim();
    let ok = true;
    if (TLS_ONLY.includes(name) && scheme !== "rediss") ok = false;
    else if (INT_OPTIONS.includes(name)) {
      ok = /^[+-]?[0-9]+$/.test(number) && number.replace(/^[+-]/, "").length <= MAX_INT_DIGITS;
      if (name === "db") {
        if (!ok || Number(number) < 0) error ??= ["url.invalid-db", "?db="];
        else options.set("db", String(Number(number)));
      }
    } else if (FLOAT_OPTIONS.includes(name)) {
      ok = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(number);
    } else if (name === "ssl_cert_reqs") ok = CERT_REQS.includes(value);
    else if (!TLS_ONLY.includes(name) && !OTHER_OPTIONS.includes(name)) ok = false;
    // The option's name is shown, never its value (it could be a password).
    if (!ok) error ??= ["url.invalid-option", `option '${name.slice(0, 40)}'`];
  }
  return [options, error];
}

function partsFromMethod2(env: NodeJS.ProcessEnv): UrlParts {
  // Method 2: the parts as given (no percent-encoding needed, none undone).
  const text = (name: string, fallback = "") => env[name]?.trim() || fallback;
  const port = text("REDIS_PORT", "6379");
  const db = text("REDIS_DB", "0");
  if (!WHOLE.test(port) || port.length > 5 || !(Number(port) > 0 && Number(port) < 65536)) {
    throw new RedisConfigError("url.invalid-port", "REDIS_PORT");
  }
  if (!WHOLE.test(db) || db.length > MAX_INT_DIGITS) {
    throw new RedisConfigError("url.invalid-db", "REDIS_DB");
  }
  const host = text("REDIS_HOST").replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const findings: string[] = [];
  const names = ["REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_DB", "REDIS_USERNAME"];
  if (names.some((n) => (env[n] ?? "") !== (env[n] ?? "").trim())) findings.push("url.whitespace");
  if (isLoopback(host)) findings.push("url.localhost");
  else if (isPublic(host)) findings.push("url.plaintext-remote");
  return {
    scheme: "redis", host, port: Number(port), db: Number(db),
    username: text("REDIS_USERNAME") || null, password: text("REDIS_PASSWORD") || null,
    options: new Map(), findings,
  };
}

function toSettings(parts: UrlParts, source: RedisSettings["source"], production: boolean): RedisSettings {
  const { scheme, host, port, db, username, password, options } = parts;
  const shownUser = parts.findings.includes("url.password-as-username") ? "***" : username;
  const tls = scheme === "rediss";
  const verifyOff = tls && ["none", "optional"].includes(options.get("ssl_cert_reqs") ?? "");
  const findings = [...new Set([...parts.findings, ...(verifyOff ? ["url.tls-verify-disabled"] : [])])].sort();
  const user = password ? `${shownUser ?? ""}:***@` : shownUser ? `${shownUser}@` : "";
  const where = scheme === "unix" ? host : `${host}:${port}`;
  return {
    source, scheme, tls, host, port, db, username: shownUser, passwordSet: password !== null,
    production, findings, target: `${scheme}://${user}${where}/${db}`,
    redisOptions(): RedisOptions {
      const options: RedisOptions = { db };
      if (scheme === "unix") options.path = host ?? "";
      else Object.assign(options, { host, port });
      if (username) options.username = username;
      if (password) options.password = password;
      const name = parts.options.get("client_name");
      if (name) options.connectionName = name;
      if (tls) {
        const ca = parts.options.get("ssl_ca_certs");
        options.tls = {
          ...(ca ? { ca: readFileSync(ca) } : {}),
          // ssl_cert_reqs=none: encrypted, but the server's identity is not checked.
          ...(verifyOff ? { rejectUnauthorized: false } : {}),
        };
      }
      return options;
    },
  };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a lone '%' stays as written, like Python's unquote
  }
}

const LOCALHOST = ["localhost", "127.0.0.1", "::1", "0.0.0.0"];

export function isLoopback(host: string): boolean {
  return LOCALHOST.includes(host.toLowerCase()) || host.startsWith("127.");
}

/**
 * The production guard: localhost in any spelling. localhost., *.localhost, 127.x, ::1,
 * ::ffff:127.0.0.1, the unspecified addresses 0.0.0.0 and ::, and the legacy IPv4 forms
 * (2130706433, 0x7f000001, 0177.0.0.1, 127.1) that the C resolver still accepts.
 */
export function reachesThisMachine(host: string): boolean {
  const name = host.toLowerCase().replace(/\.+$/, "");
  if (isLoopback(name) || name === "localhost" || name.endsWith(".localhost")) return true;
  const address = name.split("%")[0] ?? ""; // an IPv6 zone (%eth0) does not matter here
  const v4 = ipv4(address);
  const v6 = v4 === null ? ipv6(address) : null;
  if (v6 === null) { // IPv4, in the strict or (failing that) the legacy spellings
    const any = v4 ?? inetAton(name);
    return any !== null && isThisMachineV4(any);
  }
  if (v6.slice(0, 5).every((h) => h === 0) && v6[5] === 0xffff) { // ::ffff:a.b.c.d
    return isThisMachineV4((v6[6] ?? 0) * 0x10000 + (v6[7] ?? 0));
  }
  return v6.slice(0, 7).every((h) => h === 0) && (v6[7] === 0 || v6[7] === 1); // :: or ::1
}

const isThisMachineV4 = (address: number) => address === 0 || Math.floor(address / 2 ** 24) === 127;

/** A dotted quad as Python's ipaddress reads it (no leading zeros), or null. */
function ipv4(text: string): number | null {
  const octets = text.split(".");
  if (octets.length !== 4 || !octets.every((o) => /^(0|[1-9][0-9]{0,2})$/.test(o) && Number(o) < 256)) {
    return null;
  }
  return octets.reduce((value, o) => value * 256 + Number(o), 0);
}

/** An IPv6 address as eight 16-bit numbers, with Python's ipaddress rules, or null. */
function ipv6(text: string): number[] | null {
  const parts = text.split(":");
  if (parts.length < 3) return null;
  if (parts.at(-1)?.includes(".")) { // ::ffff:127.0.0.1: the last 32 bits as a dotted quad
    const v4 = ipv4(parts.pop() ?? "");
    if (v4 === null) return null;
    parts.push((v4 >>> 16).toString(16), (v4 & 0xffff).toString(16));
  }
  if (parts.length > 9) return null;
  const inner = parts.slice(1, -1).flatMap((p, i) => (p ? [] : [i + 1]));
  if (inner.length > 1) return null; // '::' twice
  let head = parts;
  let tail: string[] = [];
  if (inner.length === 1) {
    const skip = inner[0] ?? 0;
    head = parts.slice(0, skip);
    tail = parts.slice(skip + 1);
    if (head[0] === "") head = head.length === 1 ? [] : ["x"]; // ':' alone at the start
    if (tail.at(-1) === "") tail = tail.length === 1 ? [] : ["x"]; // ':' alone at the end
    if (head.length + tail.length > 7) return null;
  } else if (parts.length !== 8) return null;
  const hextets = [...head, ...tail].map((h) => (/^[0-9a-f]{1,4}$/.test(h) ? parseInt(h, 16) : NaN));
  if (hextets.some(Number.isNaN)) return null;
  return [...hextets.slice(0, head.length), ...Array(8 - hextets.length).fill(0), ...hextets.slice(head.length)];
}

/** IPv4 as the C library's inet_aton reads it: 1 to 4 parts, each decimal, 0x hex or 0 octal. */
function inetAton(name: string): number | null {
  if (name.includes("\0")) return null;
  const parts = (name.split(/[ \t\n\v\f\r]/)[0] ?? "").split("."); // it ignores what follows a space
  const values = parts.map((p) =>
    /^0x[0-9a-f]+$/.test(p) ? parseInt(p, 16) : /^0[0-7]*$/.test(p) ? parseInt(p, 8)
      : /^[1-9][0-9]*$/.test(p) ? Number(p) : NaN);
  const last = values.pop() ?? NaN;
  if (values.length > 3 || values.some((v) => !(v <= 255)) || !(last < 2 ** (8 * (4 - values.length)))) {
    return null;
  }
  return values.reduce((sum, v, i) => sum + v * 2 ** (24 - 8 * i), 0) + last;
}

const PRIVATE_SUFFIXES = [".internal", ".local", ".localdomain", ".lan", ".svc", ".home.arpa"];
const PRIVATE_IP = /^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|169\.254\.|100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.|f[cd][0-9a-f]{2}:|fe80:)/i;

function isPublic(host: string): boolean {
  // Best offline guess whether a host is reached over the public internet.
  if (/^[0-9.]+$/.test(host) || host.includes(":")) return !PRIVATE_IP.test(host);
  const name = host.toLowerCase().replace(/\.$/, "");
  return name.includes(".") && !PRIVATE_SUFFIXES.some((s) => name.endsWith(s));
}

// --8<-- [start:switches]
// The app's switches, with the accepted words shared with the Python side (switches.json).
interface SwitchSpec {
  kind: "boolean" | "choice";
  default: boolean | string;
  choices?: string[];
}
const SPEC = JSON.parse(readFileSync(new URL("./switches.json", import.meta.url), "utf8")) as {
  boolean: { true: string[]; false: string[] };
  switches: Record<string, SwitchSpec>;
};

/** One switch: true/false for a boolean, the choice for a choice. Throws config.invalid-switch. */
export function readSwitch(name: string, env: NodeJS.ProcessEnv = process.env): boolean | string {
  const spec = SPEC.switches[name];
  if (!spec) throw new Error(`unknown switch ${name}`);
  const raw = env[name];
  if (raw === undefined) return spec.default;
  const value = raw.trim().toLowerCase();
  let accepted: string[];
  if (spec.kind === "boolean") {
    if (SPEC.boolean.true.includes(value)) return true;
    if (SPEC.boolean.false.includes(value)) return false;
    accepted = [...SPEC.boolean.true, ...SPEC.boolean.false].filter(Boolean);
  } else {
    if (value === "") return spec.default;
    if (spec.choices?.includes(value)) return value;
    accepted = spec.choices ?? [];
  }
  const shown = JSON.stringify(raw.trim().slice(0, 40));
  throw new RedisConfigError("config.invalid-switch", `${name}=${shown} is not one of: ${accepted.join(", ")}`);
}

export const backgroundJobsEnabled = (env: NodeJS.ProcessEnv = process.env): boolean =>
  readSwitch("DISABLE_BACKGROUND_JOBS", env) !== true;

export const cacheProvider = (env: NodeJS.ProcessEnv = process.env): string =>
  String(readSwitch("CACHE_PROVIDER", env));
// --8<-- [end:switches]

if (import.meta.main) {
  try {
    const settings = loadSettings();
    console.log(`${settings.target} (from ${settings.source}; warnings: ${JSON.stringify(settings.findings)})`);
    console.log(`background jobs: ${backgroundJobsEnabled()}, cache: ${cacheProvider()}`);
  } catch (error) {
    console.error(`configuration error: ${(error as RedisConfigError).message}`);
    process.exitCode = 1;
  }
}
