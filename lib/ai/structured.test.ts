// Structured outputs (the SDK's generateObject on the gateway's model): validated with zod, one
// repair through the model carrying the validation error, then a clear failure; pass / repaired /
// failed counted per feature and model.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { generateKeelObject } from "@/lib/ai";
import { createTenant } from "@/test/fixtures";
import { eventsOf, generationRequests, newGateway, testConfig, startFakeProvidersForFile } from "@/test/gateway-harness";
import { validationCounts } from "@/test/validation-counts";

const servers = startFakeProvidersForFile();
const schema = z.object({ summary: z.string().min(1), keyPoints: z.array(z.string()).min(1) });

describe("generateKeelObject", () => {
  it("passes valid output, repairs invalid output once, and fails clearly after that", async () => {
    const tenant = await createTenant("Structured");
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const ctx = { tenantId: tenant.tenantId, feature: "analysis", cache: { noCache: true, noStore: true } };
    const ask = () => generateKeelObject(ctx, "analysis", { prompt: "analyse", schema }, gateway);

    servers.openai.script({ kind: "text", text: '```json\n{"summary":"s","keyPoints":["a"]}\n```' });
    expect(await ask()).toMatchObject({ validation: "pass", object: { summary: "s", keyPoints: ["a"] } });

    servers.openai.script({ kind: "text", text: '{"summary":"s"}' }, { kind: "text", text: '{"summary":"s","keyPoints":["fixed"]}' });
    expect(await ask()).toMatchObject({ validation: "repaired", object: { keyPoints: ["fixed"] } });
    const repairRequest = generationRequests(servers.openai).at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(repairRequest.messages.at(-1)!.content).toMatch(/keyPoints/); // the validation error travels with the repair

    servers.openai.script({ kind: "text", text: "not json at all" }, { kind: "text", text: '{"summary":""}' });
    await expect(ask()).rejects.toMatchObject({ code: "output_invalid", status: 422 });

    await gateway.flush();
    expect(await validationCounts(tenant)).toEqual([{ feature: "analysis", model: "gpt-4.1-mini", pass: 1, repaired: 1, failed: 1 }]);
    expect(await eventsOf(tenant.tenantId)).toHaveLength(5);
  });

  it("asks the provider for JSON with the schema", async () => {
    const tenant = await createTenant("Schema");
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    servers.openai.script({ kind: "text", text: '{"summary":"s","keyPoints":["a"]}' });
    await generateKeelObject({ tenantId: tenant.tenantId, feature: "analysis" }, "analysis", { prompt: "analyse", schema, schemaName: "analysis" }, gateway);
    const body = generationRequests(servers.openai).at(-1)!.body as { response_format?: { type: string; json_schema?: { name: string } } };
    expect(body.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "analysis" } });
  });
});
