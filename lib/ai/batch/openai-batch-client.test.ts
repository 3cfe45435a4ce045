// The Batch API client against the scripted fake OpenAI server over real HTTP: upload, create,
// poll to completion, find by metadata, read and parse the output; a server without the API is
// reported as unavailable (so callers go online), other failures are not.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeEmbedding, startFakeOpenAI, type FakeLlmServer } from "@/test/fakes/fake-llm-server";
import { BatchApiError, OpenAIBatchClient, parseEmbeddingOutput } from "./openai-batch-client";

let withBatches: Awaited<ReturnType<typeof startFakeOpenAI>>;
let withoutBatches: FakeLlmServer;

beforeAll(async () => {
  withBatches = await startFakeOpenAI({ batches: { pollsBeforeDone: 2, failCustomIds: ["c-bad"] } });
  withoutBatches = await startFakeOpenAI({ batches: false });
});
afterAll(async () => {
  await withBatches.close();
  await withoutBatches.close();
});

const line = (id: string, text: string) =>
  JSON.stringify({ custom_id: id, method: "POST", url: "/v1/embeddings", body: { model: "text-embedding-3-small", input: text, dimensions: 16 } });

describe("OpenAI Batch API client", () => {
  it("uploads, creates, polls to completion, finds the batch by metadata and parses its output", async () => {
    const client = new OpenAIBatchClient({ apiKey: "k", baseURL: withBatches.url });
    const fileId = await client.uploadRequests("r.jsonl", [line("c-1", "first text"), line("c-2", "second text"), line("c-bad", "nope")].join("\n"));
    const created = await client.createBatch({ inputFileId: fileId, endpoint: "/v1/embeddings", metadata: { keel_batch_id: "b-1" } });
    expect(created.status).toBe("validating");
    expect((await client.getBatch(created.id)).status).toBe("in_progress");
    expect((await client.getBatch(created.id)).status).toBe("in_progress");
    const done = await client.getBatch(created.id);
    expect(done).toMatchObject({ status: "completed", request_counts: { total: 3, completed: 2, failed: 1 } });
    expect((await client.recentBatches()).find((b) => b.metadata?.keel_batch_id === "b-1")?.id).toBe(created.id);

    const output = parseEmbeddingOutput(await client.fileContent(done.output_file_id!), 16);
    expect([...output.vectors.keys()].sort()).toEqual(["c-1", "c-2"]);
    expect(output.vectors.get("c-1")).toEqual(fakeEmbedding("first text", 16));
    expect(output.tokens).toBe(4);
    // The failed line is in the error file, not the output; asked for, it counts as failed.
    expect(parseEmbeddingOutput(await client.fileContent(done.error_file_id!), 16).failed).toEqual(["c-bad"]);
    // Vectors of the wrong dimension are failures too, never stored.
    expect(parseEmbeddingOutput(await client.fileContent(done.output_file_id!), 32).failed.sort()).toEqual(["c-1", "c-2"]);

    // The multipart upload carried the purpose and the JSONL file as sent.
    const upload = withBatches.requests.find((r) => r.path.endsWith("/files") && r.method === "POST")!;
    expect(upload.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(String(upload.body)).toContain('name="purpose"\r\n\r\nbatch');
  });

  it("cancels a batch in progress", async () => {
    const client = new OpenAIBatchClient({ apiKey: "k", baseURL: withBatches.url });
    const created = await client.createBatch({
      inputFileId: await client.uploadRequests("r.jsonl", line("c-9", "x")),
      endpoint: "/v1/embeddings",
      metadata: {},
    });
    expect((await client.cancelBatch(created.id)).status).toBe("cancelled");
    expect((await client.getBatch(created.id)).output_file_id).toBeNull();
  });

  it("reports a server without the API as unavailable, and a refused request as not", async () => {
    const missing = new OpenAIBatchClient({ apiKey: "k", baseURL: withoutBatches.url });
    await expect(missing.uploadRequests("r.jsonl", line("c-1", "x"))).rejects.toMatchObject({ name: "BatchApiError", status: 404, unavailable: true });
    const unreachable = new OpenAIBatchClient({ apiKey: "k", baseURL: "http://127.0.0.1:9/v1" });
    await expect(unreachable.getBatch("b")).rejects.toMatchObject({ status: 0, unavailable: true });
    const refused = new OpenAIBatchClient({ apiKey: "k", baseURL: withBatches.url });
    const error = await refused.createBatch({ inputFileId: "file-unknown", endpoint: "/v1/embeddings", metadata: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchApiError);
    expect(error).toMatchObject({ status: 400, unavailable: false });
  });
});
