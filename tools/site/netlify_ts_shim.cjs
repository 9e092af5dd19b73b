// Preloaded into the Netlify CLI (NODE_OPTIONS=--require) by tests/site/netlify_server.py.
// netlify-cli 27 loads ts-api-utils at start-up, which reads TypeScript's JavaScript API;
// the Node project pins TypeScript 7 (the native compiler, no JavaScript API), so the CLI
// would exit with "Cannot read properties of undefined (reading 'Intrinsic')". Only
// ts-api-utils' require("typescript") is pointed at the JavaScript TypeScript that the
// CLI's own dependency precinct ships; nothing else changes.
const Module = require("node:module");
const path = require("node:path");

const jsTypeScript = path.join(
  __dirname, "..", "..", "snippets", "node_modules", "precinct", "node_modules", "typescript",
);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const from = parent && parent.filename ? parent.filename : "";
  if (request === "typescript" && from.includes(`${path.sep}ts-api-utils${path.sep}`)) {
    return resolve.call(this, jsTypeScript, parent, ...rest);
  }
  return resolve.call(this, request, parent, ...rest);
};
