#!/usr/bin/env node
// redis-doctor.mjs: diagnose the Redis a Node app is configured for, from where the app runs.
//
// One self-contained file for a Node service's shell (Render Shell, `heroku run`, `railway ssh`,
// `docker compose exec`, a VM): it needs Node >= 18 and the app's own installed `ioredis`,
// nothing else. Run it from the app's directory:
//
//   node redis-doctor.mjs [--url URL] [--json] [--timeout S] [--inspect URL]
//
// Same check ids, statuses, exit codes (0: no failing check, 1: a failing check, 2: bad
// usage), JSON and docs links as `python -m snippets.doctor`. The id catalogue and the URL
// inspector are generated copies (tools/embed_catalogue.py) of snippets/checks.json and
// docs/javascripts/redis-url.js.
import { createRequire } from "node:module";
import dns from "node:dns";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";

const DEFAULT_TIMEOUT = 5;
const STATUSES = ["pass", "warn", "fail", "skip"];
const MARKS = { pass: "✓", warn: "!", fail: "✗", skip: "-" };
const MEMORY_PRESSURE = 0.8; // the thresholds of snippets/doctor/judgments.py
const CLIENTS_NEAR = 0.8;
const LATENCY_HIGH_MS = 50;
const PINGS = 5;
const INFO_SECTIONS = ["server", "clients", "memory", "persistence", "stats", "keyspace"];
const CLUSTER_PROBE_KEYS = ["pharmacare:doctor:{a}", "pharmacare:doctor:{b}", "pharmacare:doctor:{c}"];
const OFF_WORDS = new Set(["1", "true", "yes", "on"]);
const CERT_ERRORS_NAME = new Set(["ERR_TLS_CERT_ALTNAME_INVALID"]);

/** The app's own ioredis, resolved from the current directory (where the app is installed). */
export function loadIoredis(cwd = process.cwd()) {
  const require = createRequire(path.join(cwd, "noop.js"));
  try {
    const mod = require("ioredis");
    return mod.Redis ?? mod.default ?? mod;
  } catch (error) {
    if (error?.code !== "MODULE_NOT_FOUND") throw error;
    throw new DoctorUsage(
      `ioredis is not installed in ${cwd}: run this from the app's directory ` +
        "(the one with node_modules/ioredis), e.g. cd /app",
      1,
    );
  }
}

class DoctorUsage extends Error {
  constructor(message, code = 2) {
    super(message);
    this.code = code;
  }
}

// ---------------------------------------------------------------- results and redaction
function docsUrl(id, env) {
  const base = env.DOCS_BASE_URL || CATALOGUE.docs_base_url;
  return base.replace(/\/+$/, "") + "/" + docsPath(id);
}

const row = (id, status, summary) => ({ id, status, summary });

/** The problem `id` was found: its catalogue status and summary, plus detail. */
function found(id, detail = "") {
  const check = CATALOGUE.checks[id];
  return row(id, check.status, check.summary + (detail ? ` (${detail})` : ""));
}

/** A URL finding; url.clients-disagree names the fields, and fails where a client throws. */
function urlFinding(id, url) {
  if (id !== "url.clients-disagree") return found(id);
  const clients = readClients(url);
  // in words from the readings --inspect shows: a host read out of the password is ***
  const result = found(id, describeDifferences(inspect(url).clients));
  return row(id, clientsStatus(clients) ?? result.status, result.summary);
}

/** Python's urllib.parse.quote(s, safe=""): how a password looks percent-encoded. */
function pyQuote(text) {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(ch) ? ch : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Replaces every known secret (raw, percent-encoded, whitespace removed) and URL password. */
export function redactor(...secrets) {
  const known = new Set();
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of [secret, secret.replace(/\s+/g, "")]) {
      if (form) known.add(form).add(pyQuote(form)).add(encodeURIComponent(form));
    }
  }
  const ordered = [...known].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = String(text);
    for (const secret of ordered) out = out.split(secret).join("***");
    return out.replace(/(:\/\/[^:/@\s]*:)[^@\s]+@/g, "$1***@");
  };
}

/** Every password the environment holds: in the URL's user info, its query, REDIS_PASSWORD. */
function secretsOf(env) {
  const list = [env.REDIS_PASSWORD];
  for (const url of [env.REDIS_URL ?? "", (env.REDIS_URL ?? "").replace(/\s+/g, "")]) {
    const rest = url.split("://").slice(1).join("://");
    const netloc = rest.split(/[/?#]/)[0];
    const info = netloc.includes("@") ? netloc.slice(0, netloc.lastIndexOf("@")) : "";
    const colon = info.indexOf(":");
    if (colon >= 0) list.push(info.slice(colon + 1), unquote(info.slice(colon + 1)));
    const pasted = rest.includes("@") ? rest.slice(0, rest.lastIndexOf("@")) : ""; // '/' or '@' unencoded
    if (pasted.includes(":")) list.push(pasted.slice(pasted.indexOf(":") + 1));
    for (const field of (rest.split("?")[1] ?? "").split(/[&#]/)) {
      const [name, value] = [field.split("=")[0], field.split("=").slice(1).join("=")];
      if (/pass/i.test(unquote(name)) && value) list.push(value, unquote(value.replace(/\+/g, " ")));
    }
  }
  return list.filter((secret) => secret);
}

// ---------------------------------------------------------------- step 1: configuration
const METHOD_2 = ["REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_DB", "REDIS_USERNAME"];

class ConfigError extends Error {
  constructor(id, detail) {
    super(detail);
    this.id = id;
  }
}

function urlFromParts(env) {
  const host = env.REDIS_HOST.trim();
  const port = (env.REDIS_PORT ?? "6379").trim() || "6379";
  const db = (env.REDIS_DB ?? "0").trim() || "0";
  if (!/^[0-9]+$/.test(port) || !(Number(port) > 0 && Number(port) < 65536)) {
    throw new ConfigError("url.invalid-port", "REDIS_PORT");
  }
  if (!/^[0-9]+$/.test(db)) throw new ConfigError("url.invalid-db", "REDIS_DB");
  const user = pyQuote((env.REDIS_USERNAME ?? "").trim());
  const password = pyQuote((env.REDIS_PASSWORD ?? "").trim());
  const auth = password ? `${user}:${password}@` : user ? `${user}@` : "";
  return `redis://${auth}${host.includes(":") ? `[${host}]` : host}:${port}/${db}`;
}

/** What is wrong with a URL, naming the culprit but never a value that may be secret. */
function describeError(result, source) {
  if (result.findings.includes("url.password-unencoded")) {
    return `${source}: the password contains @, /, ?, #, [ or ]: percent-encode it (%40 %2F %3F %23)`;
  }
  if (result.error === "url.unsupported-scheme") {
    return `${source}: ${result.scheme}:// is not one redis-py accepts`;
  }
  return source;
}

/** Resolve the settings as the app does: REDIS_URL, else REDIS_HOST & co, else localhost. */
export function loadSettings(env) {
  const production = [env.NODE_ENV, env.APP_ENV].some((v) => (v ?? "").trim().toLowerCase() === "production");
  let url;
  let source;
  if ((env.REDIS_URL ?? "").trim()) [url, source] = [env.REDIS_URL, "REDIS_URL"];
  else if ((env.REDIS_HOST ?? "").trim()) [url, source] = [urlFromParts(env), "REDIS_HOST"];
  else if (production) throw new ConfigError("config.missing", "NODE_ENV=production and neither is set");
  else [url, source] = ["redis://localhost:6379/0", "default"];

  const parts = inspect(url);
  if (parts.error) throw new ConfigError(parts.error, describeError(parts, source));
  // How a client given the raw string reads it (url.clients-disagree) is reported separately.
  let findings = parts.findings.filter((f) => f !== "url.clients-disagree");
  if (source === "REDIS_HOST") {
    findings = findings.filter((f) => f !== "url.password-as-username"); // a user name by definition
    if (METHOD_2.some((n) => (env[n] ?? "") !== (env[n] ?? "").trim())) findings.push("url.whitespace");
  }
  if (production && parts.host && isLoopback(parts.host)) {
    throw new ConfigError("config.localhost-in-production", source);
  }
  const clean = url.replace(/\s+/g, "");
  const settings = { ...parts, url: clean, source, production, findings, host: parts.host ?? parts.path };
  settings.options = queryOptions(clean);
  settings.password = passwordOf(clean, settings.options);
  if (!settings.username && settings.options.username) settings.username = settings.options.username;
  return settings;
}

function queryOptions(url) {
  const options = {};
  for (const [name, values] of parseQs(partition(url, "?")[2], true, false)) options[name] = values[0];
  return options;
}

function passwordOf(url, options) {
  const [, rawPassword] = userinfo(urlsplit(url).netloc);
  return rawPassword ? unquote(rawPassword) : options.password || null;
}

function target(s) {
  const user = s.password_set || s.password
    ? `${s.username ?? ""}:***@`
    : s.username ? `${s.username}@` : "";
  const where = s.scheme === "unix" ? s.host : `${s.host}:${s.port}`;
  return `${s.scheme}://${user}${where}/${s.db}`;
}

const jobsEnabled = (env) => !OFF_WORDS.has((env.DISABLE_BACKGROUND_JOBS ?? "").trim().toLowerCase());

function checkConfiguration(env) {
  try {
    const s = loadSettings(env);
    const jobs = jobsEnabled(env) ? "on" : "off (DISABLE_BACKGROUND_JOBS)";
    const production = s.production ? "production" : "not production";
    const summary = `from ${s.source}: ${target(s)}; ${production}; background jobs ${jobs}`;
    const rows = [row("config.missing", "pass", summary), ...s.findings.map((f) => found(f))];
    if (s.source === "REDIS_URL" && clientsStatus(readClients(env.REDIS_URL))) {
      // an app that passes REDIS_URL itself to redis-py or ioredis reads it differently
      rows.push(urlFinding("url.clients-disagree", env.REDIS_URL));
    }
    return [s, rows];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const rows = [found(error.id, error.message)];
    rows[0].status = "fail";
    const url = env.REDIS_URL ?? "";
    if (url.trim()) rows.push(...inspect(url).findings.map((f) => urlFinding(f, url)));
    return [null, rows];
  }
}

// ---------------------------------------------------------------- deadlines
class Deadline extends Error {}

/** Run `work` with a TOTAL deadline: a server that drips one byte a second cannot stretch it. */
function withDeadline(seconds, work) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Deadline(`no answer within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

const ms = (start) => `${(performance.now() - start).toFixed(1)} ms`;

// ---------------------------------------------------------------- steps 2-4: DNS, TCP, TLS, reply
async function checkDns(host, timeout) {
  if (net.isIP(host)) return row("net.dns", "pass", `${host} is an IP address: nothing to resolve`);
  try {
    const answers = await withDeadline(timeout, dns.promises.lookup(host, { all: true }));
    const addresses = [...new Set(answers.map((a) => a.address))].sort();
    return row("net.dns", "pass", `${host} resolves to ${addresses.join(", ")}`);
  } catch (error) {
    if (error instanceof Deadline) return found("net.dns", `${host}: no answer within ${timeout} s`);
    return found("net.dns", `${host}: ${error.code ?? error.message}`);
  }
}

/** Wait for `event` on a socket, or its error/close; the deadline covers the whole wait. */
function once(socket, event, timeout) {
  return withDeadline(
    timeout,
    new Promise((resolve, reject) => {
      socket.once(event, () => resolve(socket));
      socket.once("error", reject);
      socket.once("close", () => reject(Object.assign(new Error("closed"), { code: "ECLOSED" })));
    }),
  ).catch((error) => {
    socket.destroy();
    throw error;
  });
}

async function openTcp(s, timeout) {
  const where = s.scheme === "unix" ? s.host : `${s.host}:${s.port}`;
  const start = performance.now();
  const options = s.scheme === "unix" ? { path: s.host } : { host: s.host, port: s.port };
  try {
    const socket = await once(net.connect(options), "connect", timeout);
    return [socket, row("net.refused", "pass", `TCP connect to ${where} in ${ms(start)}`)];
  } catch (error) {
    if (["ECONNREFUSED", "ENOENT"].includes(error.code)) return [null, found("net.refused", where)];
    if (error instanceof Deadline) {
      return [null, found("net.timeout", `TCP connect to ${where}: no answer in ${timeout} s`)];
    }
    return [null, found("net.timeout", `${where}: ${error.code ?? error.message}`)];
  }
}

/** The TLS options the URL asks for, read like redis-py: verification on unless it says not. */
export function tlsOptions(s) {
  const o = s.options;
  const options = { host: s.host };
  if (!net.isIP(s.host)) options.servername = s.host;
  if (o.ssl_ca_certs) options.ca = fs.readFileSync(o.ssl_ca_certs);
  if (o.ssl_certfile) options.cert = fs.readFileSync(o.ssl_certfile);
  if (o.ssl_keyfile || o.ssl_certfile) options.key = fs.readFileSync(o.ssl_keyfile || o.ssl_certfile);
  const reqs = o.ssl_cert_reqs ?? "required";
  const noHostname = reqs !== "required" || FALSE_WORDS.has((o.ssl_check_hostname ?? "").toLowerCase());
  if (noHostname) options.checkServerIdentity = () => undefined;
  options.rejectUnauthorized = reqs !== "none";
  return options;
}

async function openTls(socket, s, timeout) {
  let options;
  try {
    options = tlsOptions(s);
  } catch (error) {
    socket.destroy();
    return [null, found("url.invalid-option", `TLS files in the URL: ${error.code ?? error.message}`)];
  }
  const start = performance.now();
  try {
    const secure = await once(tls.connect({ ...options, socket }), "secureConnect", timeout);
    const verified = options.rejectUnauthorized;
    const how = verified ? "certificate verified" : "certificate NOT verified";
    const name = verified && !options.checkServerIdentity ? ` for ${s.host}` : "";
    return [secure, row("tls.verify-failed", "pass", `${secure.getProtocol()} in ${ms(start)}, ${how}${name}`)];
  } catch (error) {
    socket.destroy();
    if (CERT_ERRORS_NAME.has(error.code)) return [null, found("tls.hostname-mismatch", error.message)];
    if (/CERT|SELF_SIGNED|VERIFY|ISSUER/.test(error.code ?? "")) {
      return [null, found("tls.verify-failed", error.message)];
    }
    if (await speaksPlaintext(s, timeout)) {
      return [null, found("tls.unexpected", `handshake failed: ${error.code ?? error.message}`)];
    }
    if (error instanceof Deadline) return [null, found("net.timeout", `no TLS handshake within ${timeout} s`)];
    return [null, found("tls.unexpected", `handshake failed: ${error.code ?? error.message}`)];
  }
}

/** Send `command` and read up to the first CRLF (or what came before the server closed). */
function readLine(socket, command, timeout) {
  return withDeadline(
    timeout,
    new Promise((resolve, reject) => {
      let data = Buffer.alloc(0);
      const done = () => resolve(data.toString("utf8").split("\r\n")[0]);
      socket.on("data", (chunk) => {
        data = Buffer.concat([data, chunk]);
        if (data.includes("\r\n") || data.length >= 4096) done();
      });
      socket.once("end", done);
      socket.once("close", done);
      // a server that refuses (maxclients) may answer and close before our write lands
      socket.once("error", (error) => (data.length ? done() : reject(error)));
      socket.write(command);
    }),
  ).finally(() => socket.removeAllListeners("data"));
}

async function speaksPlaintext(s, timeout) {
  try {
    const socket = await once(net.connect({ host: s.host, port: s.port }), "connect", timeout);
    const line = await readLine(socket, "PING\r\n", timeout).finally(() => socket.destroy());
    return ["+", "-"].includes(line.slice(0, 1));
  } catch {
    return false;
  }
}

async function speaksTls(s, timeout) {
  try {
    const options = { host: s.host, port: s.port, rejectUnauthorized: false };
    const socket = await once(tls.connect(options), "secureConnect", timeout);
    socket.destroy();
    return true;
  } catch {
    return false;
  }
}

/** PING before any AUTH: refusals (protected mode, maxclients, allow lists) arrive here. */
async function firstReply(socket, s, timeout) {
  let line;
  let noHello = false;
  try {
    line = await readLine(socket, "PING\r\n", timeout);
    if (line.startsWith("+") || line.startsWith("-NOAUTH")) {
      // ioredis starts with HELLO 3 and falls back to RESP2; redis-py 8 does not fall back
      const hello = await readLine(socket, "HELLO 3\r\n", timeout).catch(() => "");
      noHello = /unknown command/i.test(hello);
    }
  } catch (error) {
    socket.destroy();
    if (error instanceof Deadline) {
      return [null, found("net.timeout", `connected, but no reply to PING in ${timeout} s`)];
    }
    if (/SSL|TLS/.test(error.code ?? "")) {
      const detail = `the server ended the TLS session before any reply: ${error.code}`;
      return [null, found("tls.client-cert-required", detail)];
    }
    line = `<${error.code ?? error.message}>`;
  }
  socket.destroy();
  if (line.startsWith("-DENIED")) return [null, found("server.protected-mode", line.slice(1).split(". ")[0])];
  if (/max number of clients|max concurrent connections/.test(line)) {
    return [null, found("server.maxclients", `refused: ${line.slice(1)}`)];
  }
  if (/allow ?list/i.test(line)) return [null, found("auth.allowlist", line.slice(1))];
  if (["+", "-"].includes(line.slice(0, 1))) return [{ line, noHello }, null];
  if (!s.tls && (await speaksTls(s, timeout))) {
    return [null, found("tls.required", "this port answered a TLS handshake")];
  }
  const answer = line ? `'${line.slice(0, 40)}'` : "nothing";
  return [null, found("net.closed", `sent PING, got ${answer}`)];
}

async function checkNetwork(s, timeout, progress) {
  const rows = [];
  if (s.scheme !== "unix") {
    progress("resolving the host name (net.dns)");
    rows.push(await checkDns(s.host, timeout));
    if (rows.at(-1).status === "fail") return [null, rows];
  }
  progress("opening a TCP connection (net.refused, net.timeout)");
  let [socket, result] = await openTcp(s, timeout);
  rows.push(result);
  if (socket === null) return [null, rows];
  if (s.tls) {
    progress("TLS handshake (tls.*)");
    [socket, result] = await openTls(socket, s, timeout);
    rows.push(result);
    if (socket === null) return [null, rows];
  }
  progress("first reply to PING (tls.required, server.protected-mode, auth.allowlist)");
  const [reply, failure] = await firstReply(socket, s, timeout);
  if (failure !== null) rows.push(failure);
  else if (!s.tls) rows.push(row("tls.required", "pass", "the server speaks plaintext Redis here"));
  return [reply, rows];
}

// ---------------------------------------------------------------- steps 5-7: through ioredis
/** A client like the app's, from the same settings, that fails fast: no retries, no queue. */
function doctorClient(Redis, s, timeout) {
  const client = new Redis({
    ...(s.scheme === "unix" ? { path: s.host } : { host: s.host, port: s.port }),
    db: Number(s.db),
    username: s.username ?? undefined,
    password: s.password ?? undefined,
    tls: s.tls ? tlsOptions(s) : undefined,
    connectionName: "pharmacare-doctor",
    connectTimeout: timeout * 1000,
    commandTimeout: timeout * 1000,
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // a failed handshake (AUTH) closes the connection: keep its error, it names the cause
  client.on("error", (error) => (client.lastError = error));
  return client;
}

const text = (error) => String(error?.message ?? error);
const denied = (command, error) => found("auth.noperm", `${command}: ${text(error)}`);
const isReply = (error, prefix) => error?.name === "ReplyError" && text(error).startsWith(prefix);

async function checkAuth(client, s, first, timeout) {
  const user = s.username || "default";
  const passwordSet = Boolean(s.password);
  if (first.line.startsWith("-NOAUTH") && !passwordSet) return found("auth.required", "the URL has no password");
  try {
    await withDeadline(timeout, client.connect().then(() => client.ping()));
  } catch (failure) {
    // a refused handshake closes the connection (or leaves connect() pending): its error says why
    const closed = /Connection is closed/.test(text(failure)) || failure instanceof Deadline;
    const error = closed && client.lastError ? client.lastError : failure;
    const message = text(error);
    if (/WRONGPASS|NOAUTH|invalid password/.test(message)) {
      return passwordSet ? found("auth.wrongpass", `user ${user}: ${message}`) : found("auth.required", message);
    }
    if (/max number of clients/.test(message)) return found("server.maxclients", `refused: ${message}`);
    if (isReply(error, "NOPERM") || /unknown command .ping/i.test(message)) {
      // authenticated, but PING is denied or renamed: reported by the latency check
    } else if (error instanceof Deadline || /timed? ?out/i.test(message)) {
      return found("net.timeout", `connected, then no reply: ${message}`);
    } else if (error?.name === "ReplyError") {
      return found("net.closed", `the server refused the session set-up: ${message}`);
    } else {
      return found("net.closed", message);
    }
  }
  if (passwordSet && user === "default" && first.line.startsWith("+")) {
    return found("auth.not-required", "PING answered before AUTH");
  }
  if (passwordSet) return row("auth.wrongpass", "pass", `authenticated as ${user}`);
  return row("auth.required", "pass", "the server accepts clients without a password");
}

/** INFO text -> {field: value}; keyspace lines "db0:keys=1,expires=0" -> {keys: 1, …}. */
function parseInfo(textInfo) {
  const fields = {};
  for (const line of String(textInfo).split("\r\n")) {
    if (!line || line.startsWith("#") || !line.includes(":")) continue;
    const [name, value] = [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)];
    fields[name] = /^db\d+$/.test(name)
      ? Object.fromEntries(value.split(",").map((kv) => kv.split("=")))
      : value;
  }
  return fields;
}

async function checkSentinel(client) {
  try {
    const server = parseInfo(await client.info("server"));
    const mode = server.redis_mode || server.server_mode;
    if (mode === "sentinel") return found("server.sentinel", "INFO server reports mode sentinel");
  } catch (error) {
    if (error?.name !== "ReplyError") throw error; // INFO blocked or denied: judged later
  }
  return null;
}

async function checkCluster(client) {
  let key;
  try {
    for (key of CLUSTER_PROBE_KEYS) await client.exists(key);
  } catch (error) {
    if (isReply(error, "MOVED")) return [found("cluster.moved", `EXISTS ${key} -> ${text(error)}`)];
    if (isReply(error, "NOPERM")) {
      return [denied("EXISTS", error), row("cluster.moved", "skip", "EXISTS is not allowed for this user")];
    }
    if (error?.name !== "ReplyError") throw error;
    return [row("cluster.moved", "skip", `EXISTS failed: ${text(error)}`)];
  }
  return [row("cluster.moved", "pass", "not a cluster: every key is served here")];
}

async function checkLatency(client) {
  const times = [];
  try {
    for (let i = 0; i < PINGS; i++) {
      const start = performance.now();
      await client.ping();
      times.push(performance.now() - start);
    }
  } catch (error) {
    if (isReply(error, "NOPERM")) return [denied("PING", error), row("latency.high", "skip", "PING is not allowed")];
    if (error?.name !== "ReplyError") throw error;
    return [row("latency.high", "skip", `PING failed: ${text(error)}`)];
  }
  const median = times.sort((a, b) => a - b)[Math.floor(PINGS / 2)];
  const summary = `median PING ${median.toFixed(1)} ms over ${PINGS} round trips`;
  if (median > LATENCY_HIGH_MS) return [found("latency.high", `${summary}; threshold ${LATENCY_HIGH_MS} ms`)];
  return [row("latency.high", "pass", summary)];
}

async function checkWrite(client) {
  const key = `pharmacare:doctor:probe:${randomBytes(4).toString("hex")}`;
  try {
    await client.set(key, "1", "PX", 10000);
    await client.del(key);
  } catch (error) {
    if (isReply(error, "OOM")) return [found("memory.oom", text(error))];
    if (isReply(error, "NOPERM")) return [denied("SET", error), row("memory.oom", "skip", "SET is not allowed")];
    if (error?.name !== "ReplyError") throw error;
    return [row("memory.oom", "skip", `could not write a test key: ${text(error)}`)];
  }
  return [row("memory.oom", "pass", "a test write succeeded (key deleted)")];
}

async function configGet(client, name) {
  try {
    const reply = await client.config("GET", name);
    return reply.length ? reply[1] : null;
  } catch (error) {
    if (error?.name !== "ReplyError") throw error;
    return null;
  }
}

const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

function memoryPressure(memory) {
  const used = Number(memory.used_memory);
  const limit = Number(memory.maxmemory ?? 0);
  if (!limit) return row("memory.pressure", "pass", `${mb(used)} used, no maxmemory set`);
  const summary = `${mb(used)} of ${mb(limit)} (${Math.round((used / limit) * 100)}%)`;
  return used / limit > MEMORY_PRESSURE ? found("memory.pressure", summary) : row("memory.pressure", "pass", summary);
}

function memoryPolicyQueue(memory, jobs) {
  const policy = memory.maxmemory_policy ?? "noeviction";
  if (policy === "noeviction") return row("memory.policy-queue", "pass", "maxmemory-policy noeviction");
  if (jobs) {
    return row(
      "memory.policy-queue",
      "fail",
      `maxmemory-policy ${policy} with background jobs enabled: queued jobs can be evicted; ` +
        "use noeviction (or DISABLE_BACKGROUND_JOBS=true for a cache-only Redis)",
    );
  }
  return row("memory.policy-queue", "pass", `${policy}: fine for a cache-only Redis`);
}

function memoryEvictions(stats, memory, keyspace) {
  const evicted = Number(stats.evicted_keys ?? 0);
  if (evicted) return found("memory.evictions", `${evicted} keys since start, policy ${memory.maxmemory_policy ?? "?"}`);
  const stored = keyspace ? `; ${Object.values(keyspace).reduce((n, db) => n + Number(db.keys ?? 0), 0)} keys stored` : "";
  return row("memory.evictions", "pass", `no keys evicted since start${stored}`);
}

function maxClients(clients, stats, limit) {
  const connected = Number(clients.connected_clients);
  const rejected = Number(stats.rejected_connections ?? 0);
  let summary = `${connected} of ${limit} connections in use`;
  if (rejected) summary += `; ${rejected} refused since start (max number of clients reached)`;
  if (connected >= limit) return found("server.maxclients", summary);
  if (connected >= CLIENTS_NEAR * limit || rejected) return row("server.maxclients", "warn", summary);
  return row("server.maxclients", "pass", summary);
}

function persistenceOff(persistence, save, jobs) {
  if (!jobs) return row("persistence.off", "pass", "cache only (background jobs disabled)");
  if (Number(persistence.aof_enabled ?? 0)) return row("persistence.off", "pass", "AOF is on");
  if (save === null) {
    return row(
      "persistence.off",
      "skip",
      "AOF is off and CONFIG is blocked here, so RDB cannot be read: check persistence in the provider's dashboard",
    );
  }
  if (save.trim()) return row("persistence.off", "pass", `RDB snapshots on (save ${save})`);
  return found("persistence.off", "AOF off and no RDB save points; queued jobs are lost");
}

async function judge(client, jobs, progress) {
  progress("reading INFO (server, clients, memory, persistence, stats, keyspace)");
  const info = {};
  const blocked = {};
  const rows = [];
  for (const section of INFO_SECTIONS) {
    try {
      info[section] = parseInfo(await client.info(section));
    } catch (error) {
      if (isReply(error, "NOPERM")) {
        blocked[section] = "INFO is not allowed for this user (NOPERM)";
        if (!rows.some((r) => r.id === "auth.noperm")) rows.push(denied(`INFO ${section}`, error));
      } else if (error?.name === "ReplyError") {
        blocked[section] = `INFO ${section} is blocked here: ${text(error)}`;
      } else throw error;
    }
  }
  const skipped = (id, ...sections) => {
    const section = sections.find((name) => name in blocked);
    return section ? row(id, "skip", blocked[section]) : null;
  };
  progress("judging memory (memory.*)");
  rows.push(...(await checkWrite(client)));
  for (const [id, need] of [["memory.pressure", ["memory"]], ["memory.policy-queue", ["memory"]], ["memory.evictions", ["stats", "memory"]]]) {
    if (need.some((name) => name in blocked)) rows.push(skipped(id, ...need));
    else if (!("used_memory" in info.memory)) throw new MissingField("used_memory");
    else if (id === "memory.pressure") rows.push(memoryPressure(info.memory));
    else if (id === "memory.policy-queue") rows.push(memoryPolicyQueue(info.memory, jobs));
    else rows.push(memoryEvictions(info.stats, info.memory, info.keyspace));
  }
  progress("judging connections (server.maxclients)");
  let clients = skipped("server.maxclients", "clients", "stats");
  if (clients === null) {
    const limit = info.clients.maxclients ?? (await configGet(client, "maxclients"));
    clients = limit === null
      ? row("server.maxclients", "skip", "maxclients is not readable here")
      : maxClients(info.clients, info.stats, Number(limit));
  }
  rows.push(clients);
  progress("judging persistence (persistence.off)");
  let persistence = skipped("persistence.off", "persistence");
  if (persistence === null) {
    let save = null;
    if (jobs && !Number(info.persistence.aof_enabled ?? 0)) save = await configGet(client, "save");
    persistence = persistenceOff(info.persistence, save, jobs);
  }
  rows.push(persistence);
  return rows;
}

class MissingField extends Error {}

async function checkServer(Redis, s, first, timeout, jobs, progress) {
  const rows = [];
  const client = doctorClient(Redis, s, timeout);
  // every step below has its own total deadline; a stalled step ends the run
  const step = (work) => withDeadline(timeout, work);
  try {
    progress("authenticating (auth.*)");
    rows.push(await checkAuth(client, s, first, timeout));
    if (rows.at(-1).status === "fail") return rows;
    const sentinel = await step(checkSentinel(client));
    if (sentinel !== null) return [...rows, sentinel];
    progress("checking for a cluster (cluster.moved)");
    rows.push(...(await step(checkCluster(client))));
    progress(`PING x${PINGS} (latency.high)`);
    rows.push(...(await step(checkLatency(client))));
    rows.push(...(await step(judge(client, jobs, progress))));
    if (first.noHello) {
      rows.push(row("server.no-hello", "warn", "no HELLO here: ioredis falls back to RESP2 by itself; redis-py clients of this server need ?protocol=2"));
    }
  } catch (error) {
    if (error instanceof MissingField) rows.push(row("memory.pressure", "skip", `INFO lacks '${error.message}'`));
    else if (error instanceof Deadline || /timed? ?out/i.test(text(error))) {
      rows.push(found("net.timeout", `during the checks: ${text(error)}`));
    } else rows.push(found("net.closed", `during the checks: ${text(error)}`));
  } finally {
    client.disconnect();
  }
  return rows;
}

// ---------------------------------------------------------------- the run, the report, the CLI
/** Every check in order; a failing step ends the run (later steps need it). */
export async function run(env, timeout = DEFAULT_TIMEOUT, progress = () => {}, cwd = process.cwd()) {
  progress("reading the configuration (config.*, url.*)");
  const [s, rows] = checkConfiguration(env);
  if (s === null) return { target: unparsedTarget(env), checks: rows };
  const report = { target: target(s), checks: rows };
  const [reply, netRows] = await checkNetwork(s, timeout, progress);
  report.checks.push(...netRows);
  if (reply === null) return report;
  const Redis = loadIoredis(cwd); // the app's own client: what the app would meet
  report.checks.push(...(await checkServer(Redis, s, reply, timeout, jobsEnabled(env), progress)));
  return report;
}

/** A URL that did not parse, shown without anything that may be a credential. */
function unparsedTarget(env) {
  const url = (env.REDIS_URL ?? "").replace(/\s+/g, "");
  if (!url) return env.REDIS_HOST || "(not set)";
  const [scheme, sep, rest] = partition(url, "://");
  const tail = rest || scheme;
  const at = tail.lastIndexOf("@");
  const where = (at >= 0 ? "***@" + tail.slice(at + 1) : tail).split(/[?#]/)[0];
  return sep ? `${scheme}://${where}` : where;
}

const ok = (report) => !report.checks.some((r) => r.status === "fail");

/** Python's json.dumps: ", " and ": " separators (or indent), non-ASCII escaped. */
function pyJson(value, indent) {
  const json = indent
    ? JSON.stringify(value, (k, v) => (typeof v === "bigint" ? Number(v) : v), indent)
    : pyCompact(value);
  return json.replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

function pyCompact(value) {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(pyCompact).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pyCompact(v)}`).join(", ")}}`;
  }
  return JSON.stringify(value);
}

function asDict(report, redact, env) {
  return {
    target: redact(report.target),
    ok: ok(report),
    checks: report.checks.map((r) => ({
      id: r.id,
      status: r.status,
      summary: redact(r.summary),
      docs: docsUrl(r.id, env),
    })),
  };
}

function table(report, redact, env) {
  const width = report.checks.length ? Math.max(...report.checks.map((r) => r.id.length)) : 10;
  const lines = [`redis-doctor: ${redact(report.target)}`, ""];
  for (const r of report.checks) {
    lines.push(`${MARKS[r.status]} ${r.status.padEnd(4)}  ${r.id.padEnd(width)}  ${redact(r.summary)}`);
    lines.push(`  ${"".padEnd(4)}  ${"".padEnd(width)}  ${docsUrl(r.id, env)}`);
  }
  const counts = Object.fromEntries(STATUSES.map((st) => [st, report.checks.filter((r) => r.status === st).length]));
  lines.push(
    "",
    `${ok(report) ? "OK" : "PROBLEMS FOUND"}: ${counts.fail} failing, ${counts.warn} warnings, ` +
      `${counts.pass} passed, ${counts.skip} skipped`,
  );
  return lines.join("\n");
}

const pyValue = (v) => (v === null ? "None" : v === true ? "True" : v === false ? "False" : typeof v === "object" ? pyJson(v) : String(v));

function inspectText(result, env) {
  const lines = Object.keys(result)
    .filter((name) => !["findings", "error"].includes(name))
    .map((name) => `${name.padEnd(13)} ${pyValue(result[name])}`);
  for (const id of [...(result.error ? [result.error] : []), ...result.findings]) {
    const status = id === result.error ? "fail" : CATALOGUE.checks[id].status;
    lines.push(`${status.padEnd(4)}  ${id}: ${CATALOGUE.checks[id].summary}`, `      ${docsUrl(id, env)}`);
  }
  if (!result.error && !result.findings.length) lines.push("ok    no problems found in the URL");
  return lines.join("\n");
}

const USAGE = "usage: node redis-doctor.mjs [--url URL] [--json] [--timeout S] [--inspect URL]";

/** Parse the command line; anything wrong is a DoctorUsage (exit 2, one line). */
export function parseArgs(argv) {
  const args = { url: null, inspect: null, json: false, timeout: DEFAULT_TIMEOUT, help: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, attached] = argv[i].startsWith("--") && argv[i].includes("=")
      ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)]
      : [argv[i], null];
    if (flag === "--json" && attached === null) args.json = true;
    else if ((flag === "-h" || flag === "--help") && attached === null) args.help = true;
    else if (["--url", "--inspect", "--timeout"].includes(flag)) {
      const value = attached ?? argv[++i];
      if (value === undefined) throw new DoctorUsage(`${flag} needs a value`);
      args[flag.slice(2)] = value;
    } else throw new DoctorUsage(`unrecognized argument: ${flag.slice(0, 40)}`);
  }
  if (args.url !== null && args.inspect !== null) throw new DoctorUsage("--url is not allowed with --inspect");
  const seconds = typeof args.timeout === "string" && /^\s*[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?\s*$/.test(args.timeout)
    ? Number(args.timeout)
    : args.timeout;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new DoctorUsage("--timeout must be a positive number of seconds");
  }
  args.timeout = seconds;
  return args;
}

/** The whole command: returns the exit code (0 ok, 1 a failing check, 2 bad usage). */
export async function main(argv, env = process.env, out = console.log, err = console.error) {
  let args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    err(`redis-doctor: error: ${error.message}`);
    return error.code;
  }
  if (args.help) {
    out(`${USAGE}\nDiagnose the Redis this app is configured for (REDIS_URL or REDIS_HOST…) ` +
      "and link each problem to the PharmaCare Redis Guide.");
    return 0;
  }
  if (args.inspect !== null) {
    const result = inspect(args.inspect);
    const redact = redactor(...secretsOf({ REDIS_URL: args.inspect }));
    out(redact(args.json ? pyJson(result) : inspectText(result, env)));
    return result.error ? 1 : 0;
  }
  const runEnv = { ...env, ...(args.url !== null ? { REDIS_URL: args.url } : {}) };
  const redact = redactor(...secretsOf(runEnv));
  let report;
  try {
    report = await run(runEnv, args.timeout, (step) => err(`… ${redact(step)}`));
  } catch (error) {
    if (!(error instanceof DoctorUsage)) throw error;
    err(`redis-doctor: error: ${redact(error.message)}`);
    return error.code;
  }
  out(args.json ? pyJson(asDict(report, redact, runEnv), 2) : table(report, redact, runEnv));
  return ok(report) ? 0 : 1;
}

// ---------------------------------------------------------------- generated: do not edit by hand
// BEGIN GENERATED: snippets/checks.json (tools/embed_catalogue.py)
const CATALOGUE = {
  "about": "The catalogue of check ids (one source): read by snippets/checks.py and embedded in snippets/doctor/redis-doctor.mjs by tools/embed_catalogue.py. Add ids, never rename one.",
  "docs_base_url": "https://pharmacare-redis-guide.netlify.app/latest/",
  "checks": {
    "url.malformed": {
      "status": "fail",
      "summary": "the Redis URL cannot be parsed; check for pasted extra text"
    },
    "url.missing-scheme": {
      "status": "fail",
      "summary": "the URL has no scheme; write redis://HOST:PORT (or rediss:// for TLS)"
    },
    "url.unsupported-scheme": {
      "status": "fail",
      "summary": "use redis://, rediss:// (TLS) or unix://; redis-py rejects valkey:// and others"
    },
    "url.missing-host": {
      "status": "fail",
      "summary": "the URL names no host (or socket path)"
    },
    "url.invalid-port": {
      "status": "fail",
      "summary": "the port must be a number from 1 to 65535"
    },
    "url.invalid-db": {
      "status": "fail",
      "summary": "the database must be a whole number such as /0"
    },
    "url.invalid-option": {
      "status": "fail",
      "summary": "a query option is unknown to redis-py or has a value it rejects"
    },
    "config.missing": {
      "status": "fail",
      "summary": "no Redis configured: set REDIS_URL (or REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, REDIS_DB)"
    },
    "config.invalid-switch": {
      "status": "fail",
      "summary": "a switch (DISABLE_BACKGROUND_JOBS, CACHE_PROVIDER) has a value it does not accept"
    },
    "url.invalid-host": {
      "status": "fail",
      "summary": "the host name is not a valid DNS name (an empty label, a label over 63 characters, or characters IDNA rejects)"
    },
    "net.dns": {
      "status": "fail",
      "summary": "the host name does not resolve from here"
    },
    "net.refused": {
      "status": "fail",
      "summary": "nothing is listening at that host and port"
    },
    "net.timeout": {
      "status": "fail",
      "summary": "the endpoint did not answer in time"
    },
    "net.closed": {
      "status": "fail",
      "summary": "the server closed the connection (or answered) without speaking Redis"
    },
    "tls.required": {
      "status": "fail",
      "summary": "the server expects TLS: use rediss://"
    },
    "tls.unexpected": {
      "status": "fail",
      "summary": "the server does not speak TLS on this port: use redis://"
    },
    "tls.verify-failed": {
      "status": "fail",
      "summary": "the server's certificate is not trusted by this client"
    },
    "tls.hostname-mismatch": {
      "status": "fail",
      "summary": "the certificate is not valid for this host name"
    },
    "auth.required": {
      "status": "fail",
      "summary": "the server requires a password and none was sent"
    },
    "auth.wrongpass": {
      "status": "fail",
      "summary": "the user name or password is wrong (or the user is off)"
    },
    "auth.allowlist": {
      "status": "fail",
      "summary": "this client's IP address is not on the allow list"
    },
    "server.maxclients": {
      "status": "fail",
      "summary": "the server is at (or near) its connection limit"
    },
    "server.protected-mode": {
      "status": "fail",
      "summary": "protected mode refuses non-loopback clients without a password"
    },
    "server.no-hello": {
      "status": "fail",
      "summary": "the server does not know HELLO (RESP3, Redis < 6 or a proxy): add ?protocol=2"
    },
    "server.sentinel": {
      "status": "fail",
      "summary": "this is a Sentinel, not a data node: connect through Sentinel or to the primary"
    },
    "tls.client-cert-required": {
      "status": "fail",
      "summary": "the server requires a client certificate (tls-auth-clients): pass ssl_certfile"
    },
    "cluster.moved": {
      "status": "fail",
      "summary": "this is a cluster: connect with RedisCluster"
    },
    "memory.oom": {
      "status": "fail",
      "summary": "the server is at maxmemory and refuses writes"
    },
    "url.localhost": {
      "status": "warn",
      "summary": "the URL points at this machine (localhost)"
    },
    "url.plaintext-remote": {
      "status": "warn",
      "summary": "plaintext redis:// to a public host: use rediss://"
    },
    "url.tls-verify-disabled": {
      "status": "warn",
      "summary": "TLS certificate verification is turned off"
    },
    "url.whitespace": {
      "status": "warn",
      "summary": "spaces or line breaks were pasted with the value"
    },
    "url.password-unencoded": {
      "status": "warn",
      "summary": "the password has @, /, ? or # unencoded: percent-encode it (%40, %2F, %3F, %23)"
    },
    "url.password-as-username": {
      "status": "warn",
      "summary": "the URL has a user name but no password: if that is the password, put ':' before it (redis://:PASSWORD@host)"
    },
    "url.option-string-truthy": {
      "status": "warn",
      "summary": "a boolean option in the URL arrives as a string, so 'False' means true"
    },
    "url.clients-disagree": {
      "status": "warn",
      "summary": "redis-py and ioredis read this URL differently (fail where one of them throws)"
    },
    "config.localhost-in-production": {
      "status": "warn",
      "summary": "production is configured to use localhost; REDIS_URL probably did not reach the app"
    },
    "auth.not-required": {
      "status": "warn",
      "summary": "the server has no password: anyone who reaches the port can use it"
    },
    "auth.noperm": {
      "status": "warn",
      "summary": "the user may not run this command (ACL)"
    },
    "memory.pressure": {
      "status": "warn",
      "summary": "memory use is above 80 % of maxmemory"
    },
    "memory.policy-queue": {
      "status": "warn",
      "summary": "maxmemory-policy is not noeviction, so queued jobs can be evicted"
    },
    "memory.evictions": {
      "status": "warn",
      "summary": "the server has evicted keys"
    },
    "persistence.off": {
      "status": "warn",
      "summary": "neither AOF nor RDB is on: a restart loses all data"
    },
    "latency.high": {
      "status": "warn",
      "summary": "PING round trips are slow"
    }
  }
};
// END GENERATED: snippets/checks.json
// The inspector below is covered by its own tests (tests/site/test_inspector_parity.py, and
// every vector of tests/config/url_vectors.json through this file in
// tests/doctor/test_redis_doctor_ts.py); c8 measures the doctor's own code above.
/* c8 ignore start */
// BEGIN GENERATED: docs/javascripts/redis-url.js (tools/embed_catalogue.py)
// Offline Redis URL inspection in the browser: the same rules as
// snippets/config/url_inspect.py (and `python -m snippets.doctor --inspect URL --json`).
//
// inspect(url) returns exactly the object the Python inspect() returns. Where the Python
// raised, this would throw too (the Python never raises: a property test). Both run
// tests/config/url_vectors.json and random URLs in tests/site/test_inspector_parity.py.
// Python semantics reproduced here: str.isspace/isdecimal (tables below, from
// Python's Unicode database; a test compares them), urllib.parse.urlsplit/unquote/parse_qs
// and ipaddress.ip_address(...).is_global as of CPython 3.11.
// No network, no storage, no globals: the widget at the end only reads the page.

// ---------------------------------------------------------------- Python's character classes
const SPACE = [[0x9, 0xd], [0x1c, 0x20], [0x85, 0x85], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000]];
const DECIMAL = [[0x30, 0x39], [0x660, 0x669], [0x6f0, 0x6f9], [0x7c0, 0x7c9], [0x966, 0x96f], [0x9e6, 0x9ef], [0xa66, 0xa6f], [0xae6, 0xaef], [0xb66, 0xb6f], [0xbe6, 0xbef], [0xc66, 0xc6f], [0xce6, 0xcef], [0xd66, 0xd6f], [0xde6, 0xdef], [0xe50, 0xe59], [0xed0, 0xed9], [0xf20, 0xf29], [0x1040, 0x1049], [0x1090, 0x1099], [0x17e0, 0x17e9], [0x1810, 0x1819], [0x1946, 0x194f], [0x19d0, 0x19d9], [0x1a80, 0x1a89], [0x1a90, 0x1a99], [0x1b50, 0x1b59], [0x1bb0, 0x1bb9], [0x1c40, 0x1c49], [0x1c50, 0x1c59], [0xa620, 0xa629], [0xa8d0, 0xa8d9], [0xa900, 0xa909], [0xa9d0, 0xa9d9], [0xa9f0, 0xa9f9], [0xaa50, 0xaa59], [0xabf0, 0xabf9], [0xff10, 0xff19], [0x104a0, 0x104a9], [0x10d30, 0x10d39], [0x11066, 0x1106f], [0x110f0, 0x110f9], [0x11136, 0x1113f], [0x111d0, 0x111d9], [0x112f0, 0x112f9], [0x11450, 0x11459], [0x114d0, 0x114d9], [0x11650, 0x11659], [0x116c0, 0x116c9], [0x11730, 0x11739], [0x118e0, 0x118e9], [0x11950, 0x11959], [0x11c50, 0x11c59], [0x11d50, 0x11d59], [0x11da0, 0x11da9], [0x16a60, 0x16a69], [0x16ac0, 0x16ac9], [0x16b50, 0x16b59], [0x1d7ce, 0x1d7ff], [0x1e140, 0x1e149], [0x1e2f0, 0x1e2f9], [0x1e950, 0x1e959], [0x1fbf0, 0x1fbf9]];
export const _tables = { SPACE, DECIMAL };

const inRanges = (ranges, ch) => {
  const cp = ch.codePointAt(0);
  return ranges.some(([a, b]) => cp >= a && cp <= b);
};
const chars = (s) => Array.from(s); // by code point, like a Python str
const isSpace = (ch) => inRanges(SPACE, ch);
const isDecimal = (ch) => inRanges(DECIMAL, ch);
const isAscii = (s) => /^[\x00-\x7f]*$/.test(s);
const MAX_STR_DIGITS = 4300; // CPython's int() limit (sys.get_int_max_str_digits)

class PythonValueError extends Error {}

// int() of a string of decimal digits (any script), optionally signed; BigInt when large.
const MAX_INT_DIGITS = 18; // longer whole numbers are never a valid db, port or option value

function pyInt(digits, sign = 1) {
  const ds = chars(digits);
  if (ds.length > MAX_STR_DIGITS) throw new PythonValueError("int(): too many digits");
  let text = "";
  for (const d of ds) {
    if (!isDecimal(d)) throw new PythonValueError("int(): not a decimal digit");
    const cp = d.codePointAt(0);
    const zero = DECIMAL.find(([a, b]) => cp >= a && cp <= b)[0];
    text += String((cp - zero) % 10);
  }
  const big = BigInt(text) * BigInt(sign);
  const small = Number(big);
  return Number.isSafeInteger(small) ? small + 0 : big; // + 0 turns -0 into 0
}

// ---------------------------------------------------------------- the rules (url_inspect.py)
const SCHEMES = ["redis", "rediss", "unix"];
const INT_OPTIONS = new Set([
  "db", "socket_read_size", "max_connections", "health_check_interval", "ssl_min_version",
  "protocol",
]);
const FLOAT_OPTIONS = new Set(["socket_timeout", "socket_connect_timeout", "timeout"]);
const BOOL_OPTIONS = new Set([
  "socket_keepalive", "retry_on_timeout", "ssl_check_hostname", "legacy_responses",
]);
const STRING_OPTIONS = new Set([
  "client_name", "ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile",
  "retry_on_error", "ssl_include_verify_flags", "ssl_exclude_verify_flags", "username",
  "password",
]);
const STRING_TRUTHY = new Set(["decode_responses"]);
const TLS_ONLY = new Set([
  "ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_check_hostname",
  "ssl_include_verify_flags", "ssl_exclude_verify_flags", "ssl_min_version",
]);
const CERT_REQS = new Set(["none", "optional", "required"]);
const FALSE_WORDS = new Set(["0", "f", "false", "n", "no"]);
const PRIVATE_SUFFIXES = [".internal", ".local", ".localdomain", ".lan", ".svc", ".home.arpa"];
const LOCALHOST = new Set(["localhost", "127.0.0.1", "::1", "0.0.0.0"]);

// INT_TEXT = r"^\s*[+-]?\d+\s*$" and FLOAT_TEXT, with Python's \s and \d: the sign and the
// digits, or null when the text does not match.
function matchInt(value) {
  const cs = chars(value);
  let i = 0;
  let j = cs.length;
  while (i < j && isSpace(cs[i])) i++;
  while (j > i && isSpace(cs[j - 1])) j--;
  let sign = 1;
  if (i < j && (cs[i] === "+" || cs[i] === "-")) sign = cs[i++] === "-" ? -1 : 1;
  const digits = cs.slice(i, j);
  if (!digits.length || !digits.every(isDecimal)) return null;
  return { sign, digits: digits.join("") };
}

function isFloatText(value) {
  const cs = chars(value);
  let i = 0;
  let j = cs.length;
  while (i < j && isSpace(cs[i])) i++;
  while (j > i && isSpace(cs[j - 1])) j--;
  const body = cs.slice(i, j);
  let k = 0;
  const run = () => {
    const start = k;
    while (k < body.length && isDecimal(body[k])) k++;
    return k - start;
  };
  if (body[k] === "+" || body[k] === "-") k++;
  if (run() > 0) {
    if (body[k] === ".") { k++; run(); }
  } else if (body[k] === ".") {
    k++;
    if (run() === 0) return false;
  } else {
    return false;
  }
  if (body[k] === "e" || body[k] === "E") {
    k++;
    if (body[k] === "+" || body[k] === "-") k++;
    if (run() === 0) return false;
  }
  return k === body.length;
}

// ---------------------------------------------------------------- urllib.parse, CPython 3.11
const C0_OR_SPACE = (ch) => ch.codePointAt(0) <= 0x20;
const HEX = "0123456789abcdefABCDEF";

function unquote(s) {
  if (!s.includes("%")) return s;
  // Python splits into ASCII runs (percent-decoded as UTF-8, errors="replace") and the rest.
  return s.replace(/[\x00-\x7f]+/g, (run) => {
    const bytes = [];
    for (let i = 0; i < run.length; i++) {
      if (run[i] === "%" && HEX.includes(run[i + 1] ?? "x") && HEX.includes(run[i + 2] ?? "x")) {
        bytes.push(parseInt(run.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(run.charCodeAt(i));
      }
    }
    return new TextDecoder("utf-8").decode(new Uint8Array(bytes));
  });
}

// s.rstrip(chr): a loop, not /x+$/ (which backtracks from every run: quadratic)
function stripEnd(s, chr) {
  let end = s.length;
  while (end > 0 && s[end - 1] === chr) end--;
  return s.slice(0, end);
}

function partition(s, sep) {
  const i = s.indexOf(sep);
  return i < 0 ? [s, "", ""] : [s.slice(0, i), sep, s.slice(i + sep.length)];
}

function rpartition(s, sep) {
  const i = s.lastIndexOf(sep);
  return i < 0 ? ["", "", s] : [s.slice(0, i), sep, s.slice(i + sep.length)];
}

function urlsplit(input) {
  let url = input;
  let k = 0;
  while (k < url.length && C0_OR_SPACE(url[k])) k++;
  url = url.slice(k).replace(/[\t\r\n]/g, "");
  let scheme = "";
  let netloc = "";
  let query = "";
  let fragment = "";
  const i = url.indexOf(":");
  if (i > 0 && /^[A-Za-z]/.test(url) && /^[A-Za-z0-9+\-.]*$/.test(url.slice(0, i))) {
    scheme = url.slice(0, i).toLowerCase();
    url = url.slice(i + 1);
  }
  if (url.startsWith("//")) {
    let delim = url.length;
    for (const c of "/?#") {
      const w = url.indexOf(c, 2);
      if (w >= 0) delim = Math.min(delim, w);
    }
    netloc = url.slice(2, delim);
    url = url.slice(delim);
    const open = netloc.includes("[");
    const close = netloc.includes("]");
    if (open !== close) throw new PythonValueError("Invalid IPv6 URL");
    if (open && close) checkBracketedHost(partition(partition(netloc, "[")[2], "]")[0]);
  }
  if (url.includes("#")) [url, , fragment] = partition(url, "#");
  if (url.includes("?")) [url, , query] = partition(url, "?");
  checkNetloc(netloc);
  return { scheme, netloc, path: url, query, fragment };
}

function checkBracketedHost(host) {
  if (host.startsWith("v")) {
    // re.match(r"\Av[a-fA-F0-9]+\..+\Z"): "." is anything but a newline
    if (!/^v[a-fA-F0-9]+\.[^\n]+$/u.test(host)) throw new PythonValueError("IPvFuture");
    return;
  }
  const ip = ipAddress(host);
  if (ip === null) throw new PythonValueError("not an IP address");
  if (ip.version === 4) throw new PythonValueError("An IPv4 address cannot be in brackets");
}

function checkNetloc(netloc) {
  if (!netloc || isAscii(netloc)) return;
  const n = netloc.replace(/[@:#?]/g, "");
  const normal = n.normalize("NFKC");
  if (n === normal) return;
  for (const c of "/?#@:") {
    if (normal.includes(c)) throw new PythonValueError("invalid characters under NFKC");
  }
}

function userinfo(netloc) {
  const [info, have, ] = rpartition(netloc, "@");
  if (!have) return [null, null];
  const [username, havePassword, password] = partition(info, ":");
  return [username, havePassword ? password : null];
}

function hostinfo(netloc) {
  const hostpart = rpartition(netloc, "@")[2];
  const [, open, bracketed] = partition(hostpart, "[");
  let hostname;
  let port;
  if (open) {
    let rest;
    [hostname, , rest] = partition(bracketed, "]");
    port = partition(rest, ":")[2];
  } else {
    [hostname, , port] = partition(hostpart, ":");
  }
  return [hostname, port || null];
}

function hostnameOf(netloc) {
  const hostname = hostinfo(netloc)[0];
  if (!hostname) return null;
  const [name, percent, zone] = partition(hostname, "%");
  return name.toLowerCase() + percent + zone;
}

function portOf(netloc) {
  const port = hostinfo(netloc)[1];
  if (port === null) return null;
  if (!/^[0-9]+$/.test(port)) throw new PythonValueError("Port could not be cast to integer");
  if (port.length > MAX_STR_DIGITS) throw new PythonValueError("too many digits");
  const value = BigInt(port);
  if (value > 65535n) throw new PythonValueError("Port out of range 0-65535");
  return Number(value);
}

// parse_qs(...) as a Map (insertion order = Python dict order) of name -> [values].
function parseQs(qs, keepBlank, strict) {
  const result = new Map();
  for (const field of qs ? qs.split("&") : []) {
    if (!field && !strict) continue;
    const nv = partition(field, "=");
    let [name, , value] = nv;
    if (!nv[1]) {
      if (strict) throw new PythonValueError("bad query field");
      if (!keepBlank) continue;
      value = "";
    }
    if (value.length || keepBlank) {
      name = unquote(name.replaceAll("+", " "));
      value = unquote(value.replaceAll("+", " "));
      if (!result.has(name)) result.set(name, []);
      result.get(name).push(value);
    }
  }
  return result;
}

// ---------------------------------------------------------------- ipaddress, CPython 3.11
function ipv4Int(s) {
  if (s.includes("/")) return null;
  const octets = s.split(".");
  if (!s || octets.length !== 4) return null;
  let value = 0;
  for (const octet of octets) {
    if (!/^[0-9]{1,3}$/.test(octet)) return null;
    if (octet !== "0" && octet[0] === "0") return null;
    const n = Number(octet);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

function ipv6Int(address) {
  if (address.includes("/")) return null;
  const [s, sep, scope] = partition(address, "%");
  if (sep && (!scope || scope.includes("%"))) return null;
  if (!s) return null;
  const parts = s.split(":");
  if (parts.length < 3) return null;
  if (parts[parts.length - 1].includes(".")) {
    const v4 = ipv4Int(parts.pop());
    if (v4 === null) return null;
    parts.push(((v4 >>> 16) & 0xffff).toString(16), (v4 & 0xffff).toString(16));
  }
  if (parts.length > 9) return null;
  let skip = null;
  for (let i = 1; i < parts.length - 1; i++) {
    if (!parts[i]) {
      if (skip !== null) return null;
      skip = i;
    }
  }
  let hi;
  let lo;
  let skipped;
  if (skip !== null) {
    hi = skip;
    lo = parts.length - skip - 1;
    if (!parts[0] && --hi) return null;
    if (!parts[parts.length - 1] && --lo) return null;
    skipped = 8 - (hi + lo);
    if (skipped < 1) return null;
  } else {
    if (parts.length !== 8 || !parts[0] || !parts[parts.length - 1]) return null;
    [hi, lo, skipped] = [parts.length, 0, 0];
  }
  const hextet = (h) => (/^[0-9a-fA-F]{1,4}$/.test(h) ? BigInt(parseInt(h, 16)) : null);
  let value = 0n;
  const take = [...parts.slice(0, hi), ...Array(skipped).fill("0"), ...parts.slice(parts.length - lo)];
  for (const part of take) {
    const h = hextet(part);
    if (h === null) return null;
    value = (value << 16n) | h;
  }
  return value;
}

function ipAddress(s) {
  const v4 = ipv4Int(s);
  if (v4 !== null) return { version: 4, value: v4 };
  const v6 = ipv6Int(s);
  return v6 === null ? null : { version: 6, value: v6 };
}

const V4_PRIVATE = [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 29], ["192.0.0.170", 31], ["192.0.2.0", 24], ["192.168.0.0", 16],
  ["198.18.0.0", 15], ["198.51.100.0", 24], ["203.0.113.0", 24], ["240.0.0.0", 4],
  ["255.255.255.255", 32],
];
const V6_PRIVATE = [
  ["::1", 128], ["::", 128], ["::ffff:0:0", 96], ["100::", 64], ["2001::", 23],
  ["2001:2::", 48], ["2001:db8::", 32], ["2001:10::", 28], ["fc00::", 7], ["fe80::", 10],
];
const inV4 = (ip, [net, bits]) =>
  bits === 0 || Math.floor(ip / 2 ** (32 - bits)) === Math.floor(ipv4Int(net) / 2 ** (32 - bits));
const inV6 = (ip, [net, bits]) => ip >> BigInt(128 - bits) === ipv6Int(net) >> BigInt(128 - bits);
const v4Private = (ip) => V4_PRIVATE.some((net) => inV4(ip, net));

function isGlobal(ip) {
  if (ip.version === 4) return !inV4(ip.value, ["100.64.0.0", 10]) && !v4Private(ip.value);
  if (ip.value >> 32n === 0xffffn) return !v4Private(Number(ip.value & 0xffffffffn));
  return !V6_PRIVATE.some((net) => inV6(ip.value, net));
}

export function isLoopback(host) {
  return LOCALHOST.has(host.toLowerCase()) || host.startsWith("127.");
}

export function isPublic(host) {
  const ip = ipAddress(host);
  if (ip !== null) return isGlobal(ip);
  let name = host.toLowerCase();
  while (name.endsWith(".")) name = name.slice(0, -1);
  return name.includes(".") && !PRIVATE_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

// ---------------------------------------------------------------- inspect()
function baseResult(fields) {
  return {
    scheme: null, tls: false, host: null, port: null, path: null, username: null,
    password_set: false, db: 0, findings: [], error: null, ...fields,
  };
}

/** The parts of a Redis URL and its findings/error ids (DESIGN.md "--inspect" contract). */
export function inspect(url) {
  const text = String(url);
  const result = inspectRaw(text);
  // How each client library reads the very same string (no whitespace stripped).
  result.clients = readClients(text);
  if (differences(result.clients).length) result.findings.push("url.clients-disagree");
  if (result.findings.includes("url.password-as-username")) { // the clients read it as a user name
    for (const reading of Object.values(result.clients)) if (reading.username) reading.username = "***";
  }
  // A password with an unencoded '@', '/' or '#' can make a client read part of it as the
  // host: a host found in the credentials (between :// and the last '@') is never shown.
  const start = text.indexOf("://");
  const at = text.lastIndexOf("@");
  // Compared raw and percent-decoded, case-folded (redis-py lower-cases the host it reads;
  // ioredis percent-encodes a host that is not ASCII).
  const credentials = start >= 0 && at > start ? text.slice(start + 3, at) : "";
  const secrets = credentials ? [credentials, unquote(credentials)].map((s) => s.toLowerCase()) : [];
  for (const reading of Object.values(result.clients)) {
    const host = reading.host || "";
    const forms = host ? [host, unquote(host)].map((s) => s.toLowerCase()) : [];
    if (forms.some((form) => secrets.some((secret) => secret.includes(form)))) reading.host = "***";
  }
  result.findings = [...new Set(result.findings)].sort(); // ids are ASCII: sort == Python's
  return result;
}

function inspectRaw(input) {
  let url = input;
  const findings = [];
  if (chars(url).some(isSpace)) {
    findings.push("url.whitespace");
    url = chars(url).filter((c) => !isSpace(c)).join("");
  }
  if (!url) return baseResult({ findings, error: "url.malformed" });
  if (!url.includes("://")) return baseResult({ findings, error: "url.missing-scheme" });
  const scheme = partition(url, "://")[0];
  const result = baseResult({ scheme, tls: scheme === "rediss", findings });
  if (!SCHEMES.includes(scheme)) return { ...result, error: "url.unsupported-scheme" };

  let parts;
  try {
    parts = urlsplit(url);
  } catch (e) {
    if (!(e instanceof PythonValueError)) throw e;
    // e.g. an unbalanced "[" (an IPv6 bracket, or one in a password)
    const info = rpartition(partition(url, "://")[2], "@")[0];
    if (info.includes("[") || info.includes("]")) findings.push("url.password-unencoded");
    return { ...result, error: "url.malformed" };
  }
  const authority = partition(url, "://")[2];
  const info = rpartition(authority, "@")[0];
  if ([parts.path, parts.query, parts.fragment].some((p) => p.includes("@"))) {
    findings.push("url.password-unencoded");
    return { ...result, error: "url.malformed" };
  }
  if (info.includes("@")) findings.push("url.password-unencoded");
  if (parts.fragment) return { ...result, error: "url.malformed" };

  const [rawUser, rawPassword] = userinfo(parts.netloc);
  // redis-py also logs in with ?username=…&password=… (the URL's own user and password win)
  const query = parseQs(parts.query, false, false);
  const password = (rawPassword ? unquote(rawPassword) : null) || (query.get("password") ?? [null])[0];
  result.username = (rawUser ? unquote(rawUser) : null) || (query.get("username") ?? [null])[0];
  result.password_set = Boolean(password);
  if (rawUser && rawPassword === null) { // redis://SECRET@host: no ':' before it
    findings.push("url.password-as-username");
    result.username = "***"; // most likely the password: never shown
  }

  let error = checkQuery(parts.query, result, findings);
  if (scheme === "unix") {
    result.path = unquote(parts.path) || null;
    if (!parts.path) error = error || "url.missing-host";
    return { ...result, error };
  }

  const host = hostnameOf(parts.netloc);
  if (!host) return { ...result, error: "url.missing-host" };
  result.host = unquote(host);
  let port;
  try {
    port = portOf(parts.netloc);
  } catch (e) {
    if (e instanceof PythonValueError) return { ...result, error: "url.invalid-port" };
    throw e;
  }
  if (port === 0 || (port === null && stripEnd(parts.netloc, "]").endsWith(":"))) {
    return { ...result, error: "url.invalid-port" };
  }
  result.port = port || 6379;
  result.path = parts.path || null;
  if (!["", "/"].includes(parts.path) && !parseQs(parts.query, false, false).has("db")) {
    const dbText = chars(unquote(parts.path)).slice(1).join("");
    const dbChars = chars(dbText);
    if (!dbText || !dbChars.every(isDecimal) || dbChars.length > MAX_INT_DIGITS) {
      return { ...result, error: "url.invalid-db" }; // "²" is a digit, not decimal
    }
    result.db = pyInt(dbText); // throws where Python's int() does (e.g. superscript digits)
  }

  if (isLoopback(result.host)) findings.push("url.localhost");
  else if (scheme === "redis" && isPublic(result.host)) findings.push("url.plaintext-remote");
  return { ...result, error };
}

function checkQuery(query, result, findings) {
  let options;
  try {
    options = parseQs(query, true, Boolean(query));
  } catch (e) {
    if (e instanceof PythonValueError) return "url.invalid-option";
    throw e;
  }
  let error = null;
  for (const [name, values] of options) {
    const value = values[0];
    if (TLS_ONLY.has(name) && !result.tls) {
      error = error || "url.invalid-option";
    } else if (INT_OPTIONS.has(name)) {
      const match = matchInt(value);
      if (match === null || chars(match.digits).length > MAX_INT_DIGITS) {
        error = error || (name === "db" ? "url.invalid-db" : "url.invalid-option");
      } else if (name === "db") {
        const db = pyInt(match.digits, match.sign);
        if (db < 0) error = error || "url.invalid-db";
        result.db = db;
      } else {
        const n = pyInt(match.digits, match.sign);
        if ((name === "protocol" && n !== 2 && n !== 3) || (name === "max_connections" && n < 1)) {
          error = error || "url.invalid-option"; // redis-py refuses these values
        }
      }
    } else if (FLOAT_OPTIONS.has(name)) {
      if (!isFloatText(value)) error = error || "url.invalid-option";
    } else if (BOOL_OPTIONS.has(name)) {
      if (name === "ssl_check_hostname" && FALSE_WORDS.has(value.toLowerCase())) {
        findings.push("url.tls-verify-disabled");
      }
    } else if (name === "ssl_cert_reqs") {
      if (!CERT_REQS.has(value)) error = error || "url.invalid-option";
      else if (value !== "required") findings.push("url.tls-verify-disabled");
    } else if (STRING_TRUTHY.has(name)) {
      if (FALSE_WORDS.has(value.toLowerCase())) findings.push("url.option-string-truthy");
    } else if (!STRING_OPTIONS.has(name)) {
      error = error || "url.invalid-option";
    }
  }
  return error;
}

/** Site-relative docs path of a check id: troubleshooting/<group>/#<id with dashes>. */
export function docsPath(id) {
  return `troubleshooting/${id.split(".")[0]}/#${id.replaceAll(".", "-")}`;
}

// ---------------------------------------------------------------- one reading per client
// snippets/config/url_inspect_clients.py: what redis-py 8
// (`ConnectionPool.from_url(url).make_connection()`) and ioredis
// (`new Redis(url, {lazyConnect: true}).options`) each make of the same string. The ioredis
// side below is ioredis's own parseURL()/parseOptions() over this engine's WHATWG `URL`;
// the redis-py side reuses the CPython emulation above. Single passes only: nothing backtracks.
const FIELDS = ["host", "port", "db", "username", "password_set", "tls", "tls_verify", "error"];
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const PY_INT = new Set([
  "db", "socket_read_size", "max_connections", "health_check_interval", "ssl_min_version",
  "protocol",
]);
const PY_FLOAT = new Set(["socket_timeout", "socket_connect_timeout", "timeout"]);
const PY_VERIFY_FLAGS = new Set(["ssl_include_verify_flags", "ssl_exclude_verify_flags"]);
const VERIFY_FLAGS = new Set([
  "VERIFY_DEFAULT", "VERIFY_CRL_CHECK_LEAF", "VERIFY_CRL_CHECK_CHAIN", "VERIFY_X509_STRICT",
  "VERIFY_X509_TRUSTED_FIRST", "VERIFY_ALLOW_PROXY_CERTS", "VERIFY_X509_PARTIAL_CHAIN",
]);
const ABSTRACT_KWARGS = [
  "db", "password", "socket_timeout", "socket_connect_timeout", "retry_on_timeout",
  "retry_on_error", "encoding", "encoding_errors", "decode_responses", "parser_class",
  "socket_read_size", "health_check_interval", "client_name", "lib_name", "lib_version",
  "driver_info", "username", "retry", "redis_connect_func", "credential_provider", "protocol",
  "legacy_responses", "command_packer", "event_dispatcher", "maint_notifications_config",
  "maint_notifications_pool_handler", "maintenance_state", "maintenance_notification_hash",
  "orig_host_address", "orig_socket_timeout", "orig_socket_connect_timeout",
  "oss_cluster_maint_notifications_handler", "himport_registry",
];
const TCP_KWARGS = [
  ...ABSTRACT_KWARGS, "host", "port", "socket_keepalive", "socket_keepalive_options", "socket_type",
];
const SSL_KWARGS = new Set([
  ...TCP_KWARGS, "ssl_keyfile", "ssl_certfile", "ssl_cert_reqs", "ssl_include_verify_flags",
  "ssl_exclude_verify_flags", "ssl_ca_certs", "ssl_ca_data", "ssl_check_hostname", "ssl_ca_path",
  "ssl_password", "ssl_validate_ocsp", "ssl_validate_ocsp_stapled", "ssl_ocsp_context",
  "ssl_ocsp_expected_cert", "ssl_min_version", "ssl_ciphers",
]);
const ACCEPTS = {
  redis: new Set(TCP_KWARGS), rediss: SSL_KWARGS, unix: new Set([...ABSTRACT_KWARGS, "path"]),
};

function entry(fields) {
  return {
    host: null, port: null, db: null, username: null, password_set: false, tls: false,
    tls_verify: null, error: null, ...fields,
  };
}

const safe = (n) => {
  if (n === null || n === undefined) return null;
  if (typeof n === "bigint") return n <= BigInt(MAX_SAFE) && n >= -BigInt(MAX_SAFE) ? Number(n) : null;
  return Number.isFinite(n) && Math.abs(n) <= MAX_SAFE ? n + 0 : null;
};

// Python's int(text) for a str: spaces around, a sign, digits of any script with single "_"
// between them; a ValueError otherwise (also beyond 4300 digits).
function pythonInt(text) {
  const cs = chars(text);
  let i = 0;
  let j = cs.length;
  while (i < j && isSpace(cs[i])) i++;
  while (j > i && isSpace(cs[j - 1])) j--;
  let sign = 1;
  if (i < j && (cs[i] === "+" || cs[i] === "-")) sign = cs[i++] === "-" ? -1 : 1;
  let digits = "";
  for (let k = i; k < j; k++) {
    if (cs[k] === "_" && k > i && k + 1 < j && isDecimal(cs[k - 1]) && isDecimal(cs[k + 1])) continue;
    if (!isDecimal(cs[k])) throw new PythonValueError("int()");
    digits += cs[k];
  }
  if (!digits) throw new PythonValueError("int()");
  return pyInt(digits, sign);
}

// Whether Python's float(text) accepts text (the digits may be of any script, with "_").
function pythonFloatOk(text) {
  const cs = chars(text);
  let i = 0;
  let j = cs.length;
  while (i < j && isSpace(cs[i])) i++;
  while (j > i && isSpace(cs[j - 1])) j--;
  let body = "";
  for (let k = i; k < j; k++) {
    if (cs[k] === "_") {
      if (!(k > i && k + 1 < j && isDecimal(cs[k - 1]) && isDecimal(cs[k + 1]))) return false;
      continue;
    }
    body += isDecimal(cs[k]) && cs[k] > "\x7f" ? "0" : cs[k];
  }
  return /^[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$/i.test(body);
}

const badFlags = (value) =>
  value.replaceAll("[", "").replaceAll("]", "").split(",").some((f) => !VERIFY_FLAGS.has(pyStrip(f)));

function pyStrip(s) {
  const cs = chars(s);
  let i = 0;
  let j = cs.length;
  while (i < j && isSpace(cs[i])) i++;
  while (j > i && isSpace(cs[j - 1])) j--;
  return cs.slice(i, j).join("");
}

/** What redis-py 8 connects to for url: ConnectionPool.from_url(url).make_connection(). */
export function readRedisPy(url) {
  if (!["redis://", "rediss://", "unix://"].some((p) => url.startsWith(p))) {
    return entry({ error: "ValueError" });
  }
  const scheme = partition(url, "://")[0];
  const kwargs = new Map();
  try {
    const parts = urlsplit(url);
    for (const [name, values] of parseQs(parts.query, false, false)) {
      const value = values[0]; // the first one wins
      if (PY_INT.has(name)) kwargs.set(name, pythonInt(value));
      else if (PY_FLOAT.has(name)) {
        if (!pythonFloatOk(value)) throw new PythonValueError(name);
        kwargs.set(name, value);
      } else if (PY_VERIFY_FLAGS.has(name) && badFlags(value)) throw new PythonValueError(name);
      else kwargs.set(name, value);
    }
    const [rawUser, rawPassword] = userinfo(parts.netloc);
    if (rawUser) kwargs.set("username", unquote(rawUser));
    if (rawPassword) kwargs.set("password", unquote(rawPassword));
    if (scheme === "unix") {
      if (parts.path) kwargs.set("path", unquote(parts.path));
    } else {
      const host = hostnameOf(parts.netloc);
      if (host) kwargs.set("host", unquote(host));
      const port = portOf(parts.netloc);
      if (port) kwargs.set("port", port); // port 0 means "the default"
      if (parts.path && !kwargs.has("db")) {
        try {
          kwargs.set("db", pythonInt(unquote(parts.path).replaceAll("/", "")));
        } catch (e) {
          if (!(e instanceof PythonValueError)) throw e; // "/abc": silently database 0
        }
      }
    }
    const max = kwargs.get("max_connections");
    kwargs.delete("max_connections");
    if (max !== undefined && max !== 0 && max < 0) throw new PythonValueError("max_connections");
  } catch (e) {
    if (e instanceof PythonValueError) return entry({ error: "ValueError" });
    throw e;
  }
  // SSLConnection.__init__ checks ssl_cert_reqs, Connection.__init__ runs int(port), then
  // AbstractConnection.__init__ meets any unknown keyword, then checks the protocol.
  const certReqs = kwargs.get("ssl_cert_reqs") ?? "required";
  if (scheme === "rediss" && !["none", "optional", "required"].includes(certReqs)) {
    return entry({ error: "RedisError" });
  }
  if (scheme !== "unix" && typeof kwargs.get("port") === "string") {
    try {
      kwargs.set("port", pythonInt(kwargs.get("port"))); // Connection.__init__: int(port)
    } catch (e) {
      if (e instanceof PythonValueError) return entry({ error: "ValueError" });
      throw e;
    }
  }
  if ([...kwargs.keys()].some((name) => !ACCEPTS[scheme].has(name))) {
    return entry({ error: "TypeError" }); // an unexpected keyword argument
  }
  const protocol = kwargs.get("protocol") ?? 2;
  if (protocol !== 2 && protocol !== 3) return entry({ error: "ConnectionError" });
  const tls = scheme === "rediss";
  return entry({
    host: scheme === "unix" ? null : kwargs.get("host") ?? "localhost",
    port: scheme === "unix" ? null : safe(kwargs.get("port") ?? 6379),
    db: safe(kwargs.get("db") ?? 0),
    username: kwargs.get("username") || null,
    password_set: Boolean(kwargs.get("password")),
    tls,
    tls_verify: tls ? certReqs !== "none" : null,
  });
}

// ioredis utils.parseURL(), as published (ioredis 5.x/6.0), on this engine's URL parser.
function ioredisIsInt(value) {
  const x = parseFloat(value);
  return !isNaN(value) && (x | 0) === x;
}

function ioredisParseURL(url) {
  if (ioredisIsInt(url)) return { port: url };
  const hasProtocol = /^rediss?:\/\//i.test(url);
  const isProtocolRelative = url.startsWith("//");
  const defaults = (target, source) => {
    for (const [key, value] of Object.entries(source)) if (target[key] === undefined) target[key] = value;
    return target;
  };
  const queryOptions = (params) => {
    const options = {};
    params.forEach((value, key) => { options[key] = value; }); // the last one wins
    return options;
  };
  if (url[0] === "/" && !isProtocolRelative) {
    const q = url.indexOf("?");
    const result = { path: q === -1 ? url : url.slice(0, q) };
    if (q !== -1) defaults(result, queryOptions(new URLSearchParams(url.slice(q + 1))));
    return result;
  }
  const parsed = new URL(hasProtocol ? url : isProtocolRelative ? "redis:" + url : "redis://" + url);
  const options = queryOptions(parsed.searchParams);
  const result = {};
  if (parsed.username || parsed.password) {
    result.username = decodeURIComponent(parsed.username);
    result.password = decodeURIComponent(parsed.password);
  }
  if (parsed.pathname && parsed.pathname !== "/") {
    if (hasProtocol || isProtocolRelative) {
      if (parsed.pathname.length > 1) result.db = parsed.pathname.slice(1);
    } else {
      result.path = parsed.pathname;
    }
  }
  if (parsed.hostname) result.host = parsed.hostname.replace(/^\[|\]$/g, "");
  if (parsed.port) result.port = parsed.port;
  return defaults(result, options);
}

/** What ioredis puts in `new Redis(url, {lazyConnect: true}).options`. */
export function readIoredis(url) {
  let options;
  try {
    options = ioredisParseURL(url);
  } catch (e) {
    return entry({ error: e instanceof URIError ? "URIError" : "TypeError" });
  }
  if (url.startsWith("rediss://") && options.tls === undefined) options.tls = true;
  const number = (v, fallback) => (v === undefined ? fallback : typeof v === "string" ? parseInt(v, 10) : v);
  const socket = Boolean(options.path); // a socket path wins over host and port
  const port = number(options.port, 6379);
  const db = number(options.db, 0);
  const tls = Boolean(options.tls);
  return entry({
    host: socket ? null : options.host ?? "localhost",
    port: socket || Number.isNaN(port) ? null : safe(port),
    db: Number.isNaN(db) ? 0 : safe(db), // NaN: ioredis sends no SELECT, so database 0
    username: options.username || null,
    password_set: Boolean(options.password),
    tls,
    tls_verify: tls ? true : null, // a URL cannot turn off ioredis's verification
  });
}

export function readClients(url) {
  return { "redis-py": readRedisPy(url), ioredis: readIoredis(url) };
}

const asciiLower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function sameHost(a, b) {
  if (a === null || b === null) return a === b;
  if (asciiLower(a) === asciiLower(b)) return true; // host names are case-insensitive
  const [ipA, , scopeA] = partition(a, "%");
  const [ipB, , scopeB] = partition(b, "%");
  const va = ipv6Int(ipA);
  return va !== null && va === ipv6Int(ipB) && scopeA === scopeB; // one address, two spellings
}

/** The fields in which the clients' readings differ (only "error" when one throws). */
export function differences(clients) {
  const py = clients["redis-py"];
  const node = clients.ioredis;
  if (Boolean(py.error) !== Boolean(node.error)) return ["error"];
  if (py.error) return []; // both refuse the URL: they agree it is unusable
  return FIELDS.slice(0, -1).filter((f) => !(f === "host" ? sameHost(py[f], node[f]) : py[f] === node[f]));
}

/** url.clients-disagree's status: "fail" where one client throws, else "warn"; null if they agree. */
export function clientsStatus(clients) {
  const fields = differences(clients);
  return !fields.length ? null : fields.join() === "error" ? "fail" : "warn";
}

const VERBS = {
  host: "connects to", port: "uses", db: "uses", username: "sends", password_set: "sends",
  tls: "uses", tls_verify: "",
};

function say(field, e) {
  const value = e[field];
  if (field === "host") return value === null ? "a Unix socket" : `host ${value}`;
  if (field === "port" || field === "db") return value === null ? `no ${field}` : `${field} ${value}`;
  if (field === "username") return value ? "a username" : "no username";
  if (field === "password_set") return value ? "a password" : "no password";
  if (field === "tls") return value ? "TLS" : "no TLS";
  return value ? "verifies the certificate" : "skips certificate verification";
}

/** The disagreement in words ("ioredis uses db 0, redis-py uses db 5"); never a password. */
export function describeDifferences(clients) {
  const fields = differences(clients);
  if (fields.length === 1 && fields[0] === "error") {
    const [bad, good] = clients.ioredis.error ? ["ioredis", "redis-py"] : ["redis-py", "ioredis"];
    const target = clients[good].host === null ? "a Unix socket" : `host ${clients[good].host}`;
    return `${bad} throws ${clients[bad].error} when the client is created; ${good} connects to ${target}`;
  }
  return fields
    .filter((f) => !(f === "tls_verify" && fields.includes("tls")))
    .map((f) => {
      const left = `ioredis ${VERBS[f]} ${say(f, clients.ioredis)}`.replace("  ", " ");
      const right = `redis-py ${VERBS[f]} ${say(f, clients["redis-py"])}`.replace("  ", " ");
      return `${left}, ${right}`;
    })
    .join("; ");
}
// END GENERATED: docs/javascripts/redis-url.js
/* c8 ignore stop */

// Node < 24.2 has no import.meta.main: work it out from the command line.
import.meta.main ??= Boolean(process.argv[1]) && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (import.meta.main) {
  process.exit(await main(process.argv.slice(2)));
}
