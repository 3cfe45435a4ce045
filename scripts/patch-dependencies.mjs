// Runs after `npm install` (postinstall): small, idempotent fixes to installed dependencies for
// known upstream bugs that have no released fix yet. Each patch checks the exact text it
// replaces, so a new upstream release that changed it is left alone (and reported).
//
// postgres 3.4.9 (porsager/postgres#1154, #1208, PR #1209): small writes are flushed on a
// setImmediate; when the connection closes first, the flush writes to a null socket and throws
// an uncatchable TypeError that kills the process. Keel's meter must outlive database outages,
// so the flush settles the pending queries with CONNECTION_CLOSED instead, and both teardown
// paths drop the buffered write and the timer.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const postgresConnection = {
  files: ["node_modules/postgres/src/connection.js", "node_modules/postgres/cjs/src/connection.js"],
  marker: "keel-patch: nextWrite guard",
  edits: [
    [
      "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)",
      "  function nextWrite(fn) {\n    // keel-patch: nextWrite guard\n    if (!socket) {\n      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n    const x = socket.write(chunk, fn)",
    ],
    ["    clearImmediate(nextWriteTimer)\n    if (socket) {", "    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {"],
    [
      "    clearImmediate(nextWriteTimer)\n    socket.removeListener('data', data)",
      "    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener('data', data)",
    ],
  ],
};

let failed = false;
for (const relative of postgresConnection.files) {
  const file = path.join(root, relative);
  if (!existsSync(file)) continue;
  let text = readFileSync(file, "utf8");
  if (text.includes(postgresConnection.marker)) continue;
  for (const [from, to] of postgresConnection.edits) {
    if (!text.includes(from)) {
      console.warn(`keel: ${relative} changed upstream; the nextWrite patch was not applied (check whether postgres fixed #1208)`);
      failed = true;
      break;
    }
    text = text.replace(from, to);
  }
  if (!failed) writeFileSync(file, text);
}
if (!failed) console.log("keel: dependency patches in place");
