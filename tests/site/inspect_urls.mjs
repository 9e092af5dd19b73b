// Runs docs/javascripts/redis-url.js inspect() for tests/site/test_inspector_parity.py.
// stdin: one JSON string (a URL) per line; stdout: one JSON line per URL, the result or
// {"raises": "<error name>"} where inspect() throws. Large ints print as JSON numbers.
// With --words: the clients' disagreement in words (describeDifferences) instead.
import { createInterface } from "node:readline";
import { describeDifferences, inspect, _tables } from "../../docs/javascripts/redis-url.js";

const json = (value) =>
  JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `#BIG#${v}` : v)).replace(
    /"#BIG#(-?\d+)"/g,
    "$1",
  );

if (process.argv.includes("--tables")) {
  process.stdout.write(json(_tables) + "\n");
} else {
  for await (const line of createInterface({ input: process.stdin })) {
    let out;
    try {
      out = inspect(JSON.parse(line));
      if (process.argv.includes("--words")) out = describeDifferences(out.clients);
    } catch (e) {
      out = { raises: e.constructor.name === "PythonValueError" ? "ValueError" : String(e) };
    }
    process.stdout.write(json(out) + "\n");
  }
}
