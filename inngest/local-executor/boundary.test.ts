// The local executor's boundary is enforced by lint (eslint.config.mjs): its core imports only the
// inngest SDK, zod, croner, node: built-ins and its own files, never Keel's lib/ or db/, and never
// Keel's wiring; only keel.ts and keel-store.ts (and tests) reach into Keel.
import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({ cwd: path.resolve(import.meta.dirname, "../..") });
const folder = "inngest/local-executor";

async function refusedImports(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.resolve(import.meta.dirname, "../..", folder, file) });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message.split("'")[1]!);
}

const probe = (imports: string[]) =>
  `${imports.map((from, i) => `import * as m${i} from "${from}";`).join("\n")}\nexport const all = [${imports.map((_, i) => `m${i}`).join(", ")}];\n`;

describe("the local executor's boundary", () => {
  it("refuses imports of Keel's code, other packages and Keel's wiring in the core", async () => {
    const outside = ["@/lib/observability/log", "@/db/scope", "drizzle-orm", "next/server", "../job-runtime", "./keel", "./keel-store"];
    const allowed = ["inngest", "inngest/next", "zod", "croner", "node:crypto", "./protocol", "./types"];
    expect(await refusedImports("some-core-module.ts", probe([...outside, ...allowed]))).toEqual(outside);
    expect(await refusedImports("conformance/some-helper.ts", probe(["../../job-runtime", "../keel", "@/lib/log", "../protocol", "inngest"]))).toEqual([
      "../../job-runtime",
      "../keel",
      "@/lib/log",
    ]);
  }, 60_000);

  it("lets the adapter and the wiring reach Keel", async () => {
    expect(await refusedImports("keel-store.ts", probe(["@/db/scope", "drizzle-orm", "./store"]))).toEqual([]);
    expect(await refusedImports("keel.ts", probe(["@/lib/observability/log", "../job-runtime", "./keel-store"]))).toEqual([]);
  }, 60_000);
});
