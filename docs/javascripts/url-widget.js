// The URL inspector widget on the Configuration and Troubleshooting pages (macro
// url_inspector()). Everything happens in this page: no request is made, nothing is stored.
import { describeDifferences, differences, docsPath, inspect } from "./redis-url.js";

const PARTS = [
  ["scheme", "Scheme"],
  ["tls", "TLS"],
  ["username", "User"],
  ["password", "Password"],
  ["host", "Host"],
  ["port", "Port"],
  ["path", "Path"],
  ["db", "Database"],
];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

function siteBase() {
  const config = document.getElementById("__config");
  const base = config ? JSON.parse(config.textContent).base : ".";
  return new URL(base.replace(/\/?$/, "/"), location);
}

function findingItem(id, checks, status) {
  const check = checks[id] || {};
  const link = el("a", { href: new URL(check.docs || docsPath(id), siteBase()).href }, id);
  return el("li", { "data-id": id, "data-status": status || check.status || "" }, link,
    check.summary ? `: ${check.summary}` : "");
}

// How each client library reads the string: a sentence when they differ, then a small table.
// Never a password or a username: only whether one is sent.
const CLIENT_COLUMNS = [
  ["host", "Host"], ["port", "Port"], ["db", "Database"], ["password_set", "Password"],
  ["tls", "TLS"], ["error", "Creating the client"],
];

function clientCell(entry, key) {
  const value = entry[key];
  if (key === "error") return value ? `throws ${value}` : "works";
  if (entry.error) return "—";
  if (key === "host" && value === null) return "Unix socket";
  if (key === "password_set") return value ? "***" : "(none)";
  if (key === "tls") return value ? (entry.tls_verify ? "yes, verified" : "yes, not verified") : "no";
  return value === null ? "—" : String(value);
}

function clientsBlock(clients) {
  const block = el("div", { class: "pc-inspector__clients" });
  const fields = differences(clients);
  if (fields.length) {
    block.append(el("p", { "data-clients-disagree": fields.join(" ") },
      `⚠ redis-py and ioredis read this URL differently: ${describeDifferences(clients)}.`));
  } else {
    block.append(el("p", { "data-clients-disagree": "" },
      "redis-py and ioredis read this URL the same way."));
  }
  const head = el("tr", {}, el("th", {}, "Client"), ...CLIENT_COLUMNS.map(([, l]) => el("th", {}, l)));
  const rows = Object.entries(clients).map(([name, entry]) =>
    el("tr", { "data-client": name }, el("th", {}, name),
      ...CLIENT_COLUMNS.map(([key]) => el("td", { "data-field": key }, clientCell(entry, key)))));
  block.append(el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
  return block;
}

function render(output, url, checks) {
  output.replaceChildren();
  if (!url) {
    output.dataset.verdict = "empty";
    return;
  }
  let result;
  try {
    result = inspect(url);
  } catch {
    output.dataset.verdict = "error";
    output.append(el("p", { class: "pc-inspector__verdict", "data-error": "unparseable" },
      "✖ This text cannot be read as a URL at all (the runbook command stops on it too)."));
    return;
  }
  // One client throwing makes url.clients-disagree a failure (for the app using that client).
  const oneThrows = differences(result.clients).join() === "error";
  const status = (id) => (id === "url.clients-disagree" && oneThrows ? "fail" : (checks[id] || {}).status);
  const warnings = result.findings.filter((id) => status(id) !== "fail");
  const verdict = result.error || oneThrows ? "error" : result.findings.length ? "warn" : "ok";
  output.dataset.verdict = verdict;
  const refuses = result.error ? "redis-py" : result.clients.ioredis.error ? "ioredis" : "redis-py";
  const text = {
    error: `✖ ${refuses} will refuse this URL:`,
    warn: `⚠ Usable, with ${warnings.length} warning${warnings.length === 1 ? "" : "s"}:`,
    ok: "✔ No problems found offline. The runbook command also checks the network and server.",
  }[verdict];
  output.append(el("p", { class: "pc-inspector__verdict", "data-error": result.error || "" }, text));
  const list = el("ul", { class: "pc-inspector__findings" });
  if (result.error) list.append(findingItem(result.error, checks));
  for (const id of result.findings) list.append(findingItem(id, checks, status(id)));
  if (list.children.length) output.append(list);
  const parts = el("dl", { class: "pc-inspector__parts" });
  for (const [key, label] of PARTS) {
    let value = result[key];
    if (key === "password") value = result.password_set ? "***" : "(none)";
    else if (key === "tls") value = result.tls ? "yes (rediss://)" : "no";
    else if (value === null || value === undefined) value = "—";
    parts.append(el("dt", {}, label), el("dd", { "data-part": key }, String(value)));
  }
  output.append(parts);
  output.append(clientsBlock(result.clients));
}

for (const widget of document.querySelectorAll("[data-pc-inspector]")) {
  const input = widget.querySelector("input");
  const output = widget.querySelector("[role=status]");
  const checks = JSON.parse(widget.querySelector("script[type='application/json']").textContent);
  const update = () => render(output, input.value, checks);
  input.addEventListener("input", update);
  update();
}
