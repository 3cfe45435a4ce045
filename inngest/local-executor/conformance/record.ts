// Records the conformance fixtures from the real serve() handler of the installed `inngest` SDK:
//   npx tsx inngest/local-executor/conformance/record.ts
// Run it after upgrading the SDK once conformance.test.ts says the protocol changed, read the diff
// of fixtures/, and make the local executor speak the new protocol before committing.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { normalize } from "./normalize";
import { RUN_ID, recordAppRegistration, recordScenario, scenarios } from "./scenarios";

const folder = path.join(import.meta.dirname, "fixtures");
mkdirSync(folder, { recursive: true });
const write = (name: string, value: unknown) =>
  writeFileSync(path.join(folder, `${name}.json`), `${JSON.stringify(normalize(value, { runIds: [RUN_ID] }), null, 2)}\n`);

write("registration", await recordAppRegistration());
for (const scenario of scenarios) {
  const fixture = await recordScenario(scenario);
  write(scenario.name, fixture);
  console.log(`${scenario.name}: ${fixture.runs.map((run) => `${run.functionId} ${run.exchanges.length} exchanges, ${run.outcome.status}`).join("; ")}`);
}
