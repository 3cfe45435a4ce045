// A document's analysis is clean whoever writes it: the offline model reads the <document> markup
// as markup (never as the summary), says what kind of thing each name is or "other", and a
// provider's answer is checked as untrusted output (echoed markup repaired or refused, invented
// entities dropped).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "@/test/fixtures";
import { generationRequests, startFakeProvidersForFile } from "@/test/gateway-harness";
import { analyzeWhole, summarizeSection } from "./analysis";

const REPORT = `# Quarterly Review

The Fraunhofer Institute for Solar Energy Systems delivered the pilot results in Q1. Maria Schmidt leads the programme from Freiburg.

## Results

Revenue rose 12% compared with the previous quarter, driven by the Helios inverter line.
Acme Corp signed a three-year supply agreement with Nordwind Energy in March 2024.`;

const servers = startFakeProvidersForFile();
const gatewayEnv = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "KEEL_MAX_RETRIES"] as const;
const savedEnv = Object.fromEntries(gatewayEnv.map((name) => [name, process.env[name]]));
const resetGateway = () => (globalThis as { __keelSingletons?: Map<string, unknown> }).__keelSingletons?.delete("ai:gateway");
function restoreEnv() {
  for (const name of gatewayEnv) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  resetGateway();
}
afterAll(restoreEnv);

async function analysisContext() {
  const tenant = await createTenant("Analysis");
  return { tenantId: tenant.tenantId, userId: tenant.userId, feature: "document-analysis", cache: { noCache: true, noStore: true } };
}

// Signing up a tenant (argon2) and the first load of the entity lexicons take seconds on a busy machine.
describe("the offline model's analysis", { timeout: 120_000 }, () => {
  beforeAll(() => {
    for (const name of gatewayEnv) delete process.env[name];
    resetGateway();
  });

  it("summarises the content, never the prompt's markup or a title, and types each entity or says other", async () => {
    const analysis = await analyzeWhole(await analysisContext(), { text: REPORT }, "en");
    const strings = [analysis.summary, ...analysis.keyPoints, ...analysis.entities.map((e) => e.name)];
    for (const text of strings) expect(text).not.toMatch(/<\/?\s*document/i);
    expect(analysis.summary).toMatch(/^The Fraunhofer Institute for Solar Energy Systems delivered the pilot results in Q1\./);
    expect(analysis.keyPoints).not.toContain("Quarterly Review");
    expect(analysis.keyPoints).not.toContain("Results");
    expect(analysis.keyPoints).toContain("Acme Corp signed a three-year supply agreement with Nordwind Energy in March 2024.");

    const kinds = Object.fromEntries(analysis.entities.map((e) => [e.name, e.type]));
    expect(kinds).toMatchObject({ "Fraunhofer Institute for Solar Energy Systems": "organization", Q1: "date", "Maria Schmidt": "person" });
    expect(kinds).not.toHaveProperty("Quarterly Review");
    // Not every entity is a person any more, and whatever is not known for sure is "other".
    expect(Object.values(kinds).filter((kind) => kind === "person")).toHaveLength(1);
    for (const entity of analysis.entities) expect(REPORT).toContain(entity.name);
  });

  it("summarises a section of a long document the same way", async () => {
    const section = await summarizeSection(await analysisContext(), REPORT, { index: 1, count: 4 });
    expect(section.summary).not.toMatch(/document|section 2/i);
    expect(section.summary.startsWith("The Fraunhofer Institute")).toBe(true);
  });
});

describe("a provider's analysis, checked as untrusted output", { timeout: 120_000 }, () => {
  beforeAll(() => {
    process.env.OPENAI_API_KEY = "test";
    process.env.OPENAI_BASE_URL = servers.openai.url;
    process.env.KEEL_MAX_RETRIES = "0";
    resetGateway();
  });
  afterAll(restoreEnv);

  const echo = JSON.stringify({ summary: "<document>", keyPoints: ["</document>"], entities: [] });
  const clean = JSON.stringify({
    summary: "Pilot results arrived in Q1.",
    keyPoints: ["Revenue rose 12%.", "Revenue rose 12%.", "Acme Corp signed with Nordwind Energy."],
    entities: [
      { name: "Maria Schmidt", type: "person" },
      { name: "maria schmidt", type: "person" },
      { name: "Globex Industries", type: "organization" },
      { name: "Nordwind Energy", type: "organization" },
    ],
  });

  it("repairs an answer that echoes the prompt's markup, and drops repeated points and entities the text never names", async () => {
    servers.openai.script({ kind: "text", text: echo }, { kind: "text", text: clean });
    const analysis = await analyzeWhole(await analysisContext(), { text: REPORT }, "en");
    expect(analysis.summary).toBe("Pilot results arrived in Q1.");
    expect(analysis.keyPoints).toEqual(["Revenue rose 12%.", "Acme Corp signed with Nordwind Energy."]);
    expect(analysis.entities.map((e) => e.name)).toEqual(["Maria Schmidt", "Nordwind Energy"]);
    const repair = generationRequests(servers.openai).at(-1)!.body as { messages: { content: string }[] };
    expect(repair.messages.at(-1)!.content).toMatch(/<document> markup/);
  });

  it("refuses an answer that keeps echoing the markup", async () => {
    servers.openai.script({ kind: "text", text: echo }, { kind: "text", text: echo });
    await expect(analyzeWhole(await analysisContext(), { text: REPORT }, "en")).rejects.toMatchObject({ code: "output_invalid" });
  });

  it("lets a summary quote markup that the document itself contains", async () => {
    const aboutMarkup = "Templates wrap the text in <document> tags before sending it.";
    servers.openai.script({ kind: "text", text: JSON.stringify({ summary: aboutMarkup, keyPoints: [aboutMarkup], entities: [] }) });
    const analysis = await analyzeWhole(await analysisContext(), { text: aboutMarkup }, "en");
    expect(analysis.summary).toBe(aboutMarkup);
  });
});
