// The URL inspector widget on the Configuration and Troubleshooting pages (macro
// url_inspector()). Everything happens in this page: no request is made, nothing is stored.
import { docsPath, inspect } from "./redis-url.js";

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

function findingItem(id, checks) {
  const check = checks[id] || {};
  const link = el("a", { href: new URL(check.docs || docsPath(id), siteBase()).href }, id);
  return el("li", { "data-id": id, "data-status": check.status || "" }, link,
    check.summary ? `: ${check.summary}` : "");
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
  const warnings = result.findings.filter((id) => (checks[id] || {}).status !== "fail");
  const verdict = result.error ? "error" : result.findings.length ? "warn" : "ok";
  output.dataset.verdict = verdict;
  const text = {
    error: "✖ redis-py will refuse this URL:",
    warn: `⚠ Usable, with ${warnings.length} warning${warnings.length === 1 ? "" : "s"}:`,
    ok: "✔ No problems found offline. The runbook command also checks the network and server.",
  }[verdict];
  output.append(el("p", { class: "pc-inspector__verdict", "data-error": result.error || "" }, text));
  const list = el("ul", { class: "pc-inspector__findings" });
  if (result.error) list.append(findingItem(result.error, checks));
  for (const id of result.findings) list.append(findingItem(id, checks));
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
}

for (const widget of document.querySelectorAll("[data-pc-inspector]")) {
  const input = widget.querySelector("input");
  const output = widget.querySelector("[role=status]");
  const checks = JSON.parse(widget.querySelector("script[type='application/json']").textContent);
  const update = () => render(output, input.value, checks);
  input.addEventListener("input", update);
  update();
}
