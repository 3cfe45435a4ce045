// keel-rag with the official `openai` client over a real socket, through the production server's
// /api/v1 router: answers from the workspace's documents with `citations` on the message (and in
// the final chunk when streaming), the collection filter honoured, another workspace's documents
// never cited, metered as a chat call plus the retrieval's embedding call.
import http from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiV1Router } from "@/scripts/api-router";
import { createApiKey } from "@/lib/auth/api-keys";
import { createCollection } from "@/lib/documents/collection-admin";
import { getGateway } from "@/lib/ai";
import { acceptUpload } from "@/lib/documents/upload";
import { runAnalysis } from "@/test/documents-harness";
import { createTenant } from "@/test/fixtures";
import { eventsOf } from "@/test/gateway-harness";
import type { ApiCitation } from "./grounded-chat";

type Owner = Awaited<ReturnType<typeof createTenant>>;
const gatewayEnv = ["OPENAI_API_KEY", "GOOGLE_GENERATIVE_AI_API_KEY", "OPENAI_COMPATIBLE_BASE_URL"] as const;
const savedEnv = Object.fromEntries(gatewayEnv.map((name) => [name, process.env[name]]));
const resetGateway = () => (globalThis as { __keelSingletons?: Map<string, unknown> }).__keelSingletons?.delete("ai:gateway");

let server: http.Server;
let baseURL: string;
let owner: Owner;
let client: OpenAI;
let fleetCollection: string;
let strangerCollection: string;
const docs: Record<string, string> = {};

async function upload(ctx: Owner, name: string, text: string, collectionId: string | null = null) {
  const { document, request } = await acceptUpload(ctx, { fileName: name, bytes: new TextEncoder().encode(text), collectionId });
  await runAnalysis(request);
  return document.id;
}

/** The message with Keel's documented extension field. */
type GroundedMessage = OpenAI.ChatCompletionMessage & { citations: ApiCitation[] };
const noCache = { headers: { "x-keel-cache": "no-cache, no-store" } };

beforeAll(async () => {
  // The offline models serve every call (nothing configured), as on a fresh `npm run dev`.
  for (const name of gatewayEnv) delete process.env[name];
  resetGateway();
  const route = await apiV1Router();
  server = http.createServer((request, response) => {
    if (route(request, response) === null) response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;

  owner = await createTenant("RAG API");
  fleetCollection = (await createCollection(owner, "Fleet")).id;
  docs.handbook = await upload(owner, "handbook.md", "# Handbook\n\nExpense claims are approved by the finance team within five working days.");
  docs.fleet = await upload(
    owner,
    "fleet.md",
    "# Fleet\n\nEvery turbine in the Aberdeen fleet is inspected twice a year.\n\nSpare blades ship from Porto.",
    fleetCollection,
  );
  client = new OpenAI({ baseURL, apiKey: (await createApiKey(owner, "rag")).key, maxRetries: 0 });

  const stranger = await createTenant("RAG stranger");
  strangerCollection = (await createCollection(stranger, "Secrets")).id;
  docs.stranger = await upload(stranger, "secrets.md", "# Secrets\n\nThe Aberdeen turbines are sold to Globex in December.", strangerCollection);
}, 240_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  for (const name of gatewayEnv) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  resetGateway();
});

describe("keel-rag on /api/v1/chat/completions", () => {
  it("answers from the workspace's documents with the cited passages on the message, metered as chat plus retrieval", async () => {
    const { data: completion, response } = await client.chat.completions
      .create({ model: "keel-rag", messages: [{ role: "user", content: "How often is the Aberdeen fleet inspected?" }] }, noCache)
      .withResponse();
    const message = completion.choices[0]!.message as GroundedMessage;
    expect(message.content).toBe("Every turbine in the Aberdeen fleet is inspected twice a year. [1]");
    expect(message.citations).toEqual([
      expect.objectContaining({ index: 1, document_id: docs.fleet, document_name: "fleet.md", collection_id: fleetCollection, chunk_index: 0 }),
    ]);
    expect(message.citations[0]!.excerpt).toContain("inspected twice a year");

    const callId = response.headers.get("x-keel-call-id");
    const retrievalId = response.headers.get("x-keel-retrieval-call-id");
    await getGateway().flush(); // usage events are written in batches, off the response path
    const events = await eventsOf(owner.tenantId);
    expect(events.find((e) => e.requestId === callId)).toMatchObject({ feature: "api-rag", role: "chat", apiKeyId: expect.any(String) });
    expect(events.find((e) => e.requestId === retrievalId)).toMatchObject({ feature: "api-retrieval", role: "embedding", apiKeyId: expect.any(String) });
  });

  it("streams the answer and carries the citations in the final chunk", async () => {
    const stream = await client.chat.completions.create(
      { model: "keel-rag", stream: true, messages: [{ role: "user", content: "Where do spare blades ship from?" }] },
      noCache,
    );
    let text = "";
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe("Spare blades ship from Porto. [1]");
    const final = chunks.at(-1)!;
    expect(final.choices[0]!.finish_reason).toBe("stop");
    const citations = (final.choices[0]!.delta as { citations?: ApiCitation[] }).citations;
    expect(citations).toEqual([expect.objectContaining({ index: 1, document_id: docs.fleet })]);
    // Only the final chunk carries them.
    expect(chunks.slice(0, -1).every((c) => !("citations" in (c.choices[0]?.delta ?? {})))).toBe(true);
  });

  it("keeps to the collections asked for, and refuses ones the workspace does not have (another workspace's included)", async () => {
    const ask = (collection_ids: string[]) =>
      client.chat.completions.create(
        {
          model: "keel-rag",
          messages: [{ role: "user", content: "Who approves expense claims, and how often is the Aberdeen fleet inspected?" }],
          keel: { collection_ids },
        } as OpenAI.ChatCompletionCreateParamsNonStreaming,
        noCache,
      );
    const fleetOnly = (await ask([fleetCollection])).choices[0]!.message as GroundedMessage;
    expect(fleetOnly.citations.length).toBeGreaterThan(0);
    expect(new Set(fleetOnly.citations.map((c) => c.document_id))).toEqual(new Set([docs.fleet]));
    expect(fleetOnly.content).not.toContain("finance team");

    const everything = (
      await client.chat.completions.create(
        { model: "keel-rag", messages: [{ role: "user", content: "Who approves expense claims, and how often is the Aberdeen fleet inspected?" }] },
        noCache,
      )
    ).choices[0]!.message as GroundedMessage;
    expect(new Set(everything.citations.map((c) => c.document_id))).toEqual(new Set([docs.fleet, docs.handbook]));

    for (const ids of [[strangerCollection], ["00000000-0000-4000-8000-000000000000"]]) {
      await expect(ask(ids)).rejects.toMatchObject({ status: 400, code: "collection_not_found", param: "keel.collection_ids" });
    }
    await expect(ask(["not-a-uuid"])).rejects.toMatchObject({ status: 400, param: "keel.collection_ids.0" });
  });

  it("never cites or quotes another workspace's documents", async () => {
    for (const stream of [false, true]) {
      const request = { model: "keel-rag", messages: [{ role: "user" as const, content: "Who are the Aberdeen turbines sold to, and when?" }] };
      let text = "";
      let citations: ApiCitation[] = [];
      if (stream) {
        for await (const chunk of await client.chat.completions.create({ ...request, stream: true }, noCache)) {
          text += chunk.choices[0]?.delta.content ?? "";
          citations = (chunk.choices[0]?.delta as { citations?: ApiCitation[] } | undefined)?.citations ?? citations;
        }
      } else {
        const message = (await client.chat.completions.create(request, noCache)).choices[0]!.message as GroundedMessage;
        text = message.content ?? "";
        citations = message.citations;
      }
      expect(text).not.toMatch(/Globex|December/);
      expect(citations.map((c) => c.document_id)).not.toContain(docs.stranger);
    }
  });

  it("refuses grounding options on other models, tools, and a last message that is not the user's", async () => {
    await expect(
      client.chat.completions.create({
        model: "keel-chat",
        messages: [{ role: "user", content: "Hi" }],
        keel: {},
      } as OpenAI.ChatCompletionCreateParamsNonStreaming),
    ).rejects.toMatchObject({ status: 400, param: "keel" });
    await expect(
      client.chat.completions.create({
        model: "keel-rag",
        messages: [{ role: "user", content: "Hi" }],
        tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } } }],
      }),
    ).rejects.toMatchObject({ status: 400, param: "tools" });
    await expect(
      client.chat.completions.create({
        model: "keel-rag",
        messages: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello" },
        ],
      }),
    ).rejects.toMatchObject({ status: 400, param: "messages" });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain("keel-rag");
  });
});
