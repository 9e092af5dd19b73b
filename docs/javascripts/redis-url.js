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
