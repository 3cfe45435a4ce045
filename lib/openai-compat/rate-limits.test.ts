// Rate limits on /api/v1 with the official `openai` client over a real socket, through the
// production server's /api/v1 router: OpenAI's x-ratelimit-* headers on every answer, requests and
// tokens per minute per key and per workspace, 429 with Retry-After, the admin's override binding
// from the next call, settlement of estimates, and other workspaces untouched.
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { apiRateLimits } from "@/db/schema";
import { callTenantFunction, withTenant } from "@/db/scope";
import { getApiRateLimiter } from "@/lib/ai/rate-limits";
import { updateRateLimits, type RateLimitSettingsInput } from "@/lib/ai/rate-limit-settings";
import { createApiKey } from "@/lib/auth/api-keys";
import { isKeelError } from "@/lib/errors";
import { listAuditEntries } from "@/lib/tenancy/audit-log";
import { describeAuditEntry } from "@/lib/tenancy/describe-audit-entry";
import type { TenantContext } from "@/lib/tenancy/context";
import { createTenant } from "@/test/fixtures";
import { startApiServerForFile } from "@/test/api-server";
import { startFakeProvidersForFile } from "@/test/gateway-harness";

const servers = startFakeProvidersForFile();
const api = startApiServerForFile(servers);

// Opens the database (seconds on a fresh embedded one) before the first test's clock starts.
beforeAll(() => createTenant("Warm-up"));

const noLimits: RateLimitSettingsInput = {
  keyRequestsPerMinute: null,
  keyTokensPerMinute: null,
  workspaceRequestsPerMinute: null,
  workspaceTokensPerMinute: null,
};

async function workspace(name: string, limits: Partial<RateLimitSettingsInput> = {}) {
  const owner = await createTenant(name);
  await updateRateLimits(owner, { ...noLimits, ...limits });
  return { owner, client: await clientFor(owner) };
}

async function clientFor(owner: TenantContext): Promise<OpenAI> {
  const { key } = await createApiKey(owner, "rate limits");
  // No retries: the client would otherwise wait out a 429 by itself (it honours Retry-After).
  return new OpenAI({ baseURL: api.baseURL, apiKey: key, maxRetries: 0 });
}

const noCache = { headers: { "x-keel-cache": "no-cache, no-store" } };
const ask = (client: OpenAI, content = "How are you?", maxTokens = 40) =>
  client.chat.completions.create({ model: "keel-chat", messages: [{ role: "user", content }], max_tokens: maxTokens }, noCache).withResponse();

function limitsOf(headers: Headers) {
  const read = (name: string) => headers.get(`x-ratelimit-${name}`);
  return {
    requests: { limit: Number(read("limit-requests")), remaining: Number(read("remaining-requests")), reset: read("reset-requests") },
    tokens: { limit: Number(read("limit-tokens")), remaining: Number(read("remaining-tokens")), reset: read("reset-tokens") },
  };
}

async function refusalOf(run: Promise<unknown>): Promise<InstanceType<typeof OpenAI.RateLimitError>> {
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof OpenAI.RateLimitError)) throw new Error(`expected a 429, got ${String(error)}`);
  return error;
}

describe("API rate limits", () => {
  it("put OpenAI's x-ratelimit-* headers on every answer to a known key, counting down", async () => {
    servers.openai.setDefault({ kind: "text", text: "Fine, thanks.", usage: { input: 6, output: 4 } });
    const { client } = await workspace("Headers", { keyRequestsPerMinute: 50, keyTokensPerMinute: 100_000 });

    const first = await ask(client);
    const second = await ask(client);
    const a = limitsOf(first.response.headers);
    const b = limitsOf(second.response.headers);
    expect(a.requests).toMatchObject({ limit: 50, remaining: 49 });
    expect(b.requests).toMatchObject({ limit: 50, remaining: 48 });
    expect(a.requests.reset).toMatch(/^(\d+(\.\d+)?s|\d+ms)$/);
    // Tokens: the first call's estimate (prompt plus max_tokens) is counted before it runs and
    // settled to what it used (10) once done; the second counts its own estimate on top.
    expect(a.tokens.limit).toBe(100_000);
    const estimate = 100_000 - a.tokens.remaining;
    expect(estimate).toBeGreaterThan(40);
    expect(b.tokens.remaining).toBe(100_000 - 10 - estimate);

    // Embeddings, the model list and even a refused body carry them too.
    const embedded = await client.embeddings.create({ model: "keel-embedding", input: "count me" }).withResponse();
    expect(limitsOf(embedded.response.headers).requests.remaining).toBe(47);
    const models = await client.models.list().withResponse();
    expect(limitsOf(models.response.headers).requests.remaining).toBe(46);
    const invalid = await client.chat.completions.create({ model: "keel-chat", messages: [] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
    expect(limitsOf((invalid as InstanceType<typeof OpenAI.BadRequestError>).headers!).requests.remaining).toBe(45);
  });

  it("counts each call's limiters in one statement, and keeps a refused flood off the database", async () => {
    servers.openai.setDefault({ kind: "text", text: "ok", usage: { input: 2, output: 1 } });
    const { client } = await workspace("Round trips", { keyRequestsPerMinute: 5 });
    const store = getApiRateLimiter().client;
    const before = store.consumeStatements;
    for (let i = 0; i < 5; i++) await ask(client);
    expect(store.consumeStatements - before).toBe(5);
    // The sixth is refused by the database's count, and remembered in memory: the rest never reach it.
    for (let i = 0; i < 5; i++) await refusalOf(ask(client));
    expect(store.consumeStatements - before).toBe(6);
  });

  it("refuses past a key's requests per minute with a 429 in OpenAI's shape and Retry-After; other keys and workspaces go on", async () => {
    servers.openai.setDefault({ kind: "text", text: "ok", usage: { input: 2, output: 1 } });
    const { owner, client } = await workspace("Per key", { keyRequestsPerMinute: 3, workspaceRequestsPerMinute: 100 });
    for (let i = 0; i < 3; i++) await ask(client);
    const refused = await refusalOf(ask(client));
    expect(refused.status).toBe(429);
    expect(refused.error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect(refused.message).toMatch(/API key: 3 requests per minute/);
    const retryAfter = Number(refused.headers!.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Number(refused.headers!.get("retry-after-ms"))).toBeGreaterThan(0);
    expect(limitsOf(refused.headers!).requests).toMatchObject({ limit: 3, remaining: 0 });
    // No provider call for a refused request.
    expect(servers.openai.requests.filter((r) => r.path.includes("chat/completions"))).toHaveLength(3);

    // Another key of the same workspace has its own allowance; another workspace is untouched.
    const second = await clientFor(owner);
    expect(limitsOf((await ask(second)).response.headers).requests).toMatchObject({ limit: 3, remaining: 2 });
    const other = await workspace("Per key, elsewhere", { keyRequestsPerMinute: 3 });
    expect(limitsOf((await ask(other.client)).response.headers).requests).toMatchObject({ limit: 3, remaining: 2 });
  });

  it("holds the workspace's requests per minute across its keys", async () => {
    servers.openai.setDefault({ kind: "text", text: "ok", usage: { input: 2, output: 1 } });
    const { owner, client } = await workspace("Per workspace", { keyRequestsPerMinute: 10, workspaceRequestsPerMinute: 4 });
    const second = await clientFor(owner);
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(
        await ask(i % 2 === 0 ? client : second).then(
          () => "ok",
          (e: unknown) => (e instanceof OpenAI.RateLimitError ? "429" : String(e)),
        ),
      );
    }
    expect(outcomes).toEqual(["ok", "ok", "ok", "ok", "429", "429"]);
    const refused = await refusalOf(ask(second));
    expect(refused.message).toMatch(/workspace: 4 requests per minute/);
  });

  it("refuses by tokens per minute on the estimate, gives back what a call did not use, and says when a call can never fit", async () => {
    servers.openai.setDefault({ kind: "text", text: "ok", usage: { input: 5, output: 5 } });
    const { client } = await workspace("Tokens", { keyTokensPerMinute: 300 });
    // Each call is estimated at well over 100 tokens (max_tokens 100) but uses 10: settled, the
    // allowance holds many more than three such calls.
    for (let i = 0; i < 6; i++) await ask(client, "short", 100);
    const tight = limitsOf((await ask(client, "short", 100)).response.headers).tokens;
    expect(tight.limit).toBe(300);
    expect(tight.remaining).toBeLessThan(300 - 60);
    // A call whose estimate does not fit what is left is refused, by tokens.
    const refused = await refusalOf(ask(client, "short", 250));
    expect(refused.error).toMatchObject({ type: "tokens", code: "rate_limit_exceeded" });
    // One that could never fit in a minute says so.
    const huge = await refusalOf(ask(client, "short", 5_000));
    expect(huge.message).toMatch(/more than the API key allows in a minute \(300\)/);
  });

  it("keeps each workspace's counters to itself, whatever key a statement names", async () => {
    servers.openai.setDefault({ kind: "text", text: "ok", usage: { input: 2, output: 1 } });
    const a = await workspace("Counters A", { workspaceRequestsPerMinute: 10 });
    const b = await createTenant("Counters B");
    await ask(a.client);
    // Tenant B's statement naming A's workspace counter writes B's own row, never A's.
    const now = Date.now();
    const rows = await callTenantFunction<{ rl_key: string; rl_points: number }>("keel_rate_limit_consume", b.tenantId, [
      [JSON.stringify([{ key: `workspace-requests:${a.owner.tenantId}`, points: 5, duration: 60_000, settle: null, settle_expire: null }]), "jsonb"],
      [now, "bigint"],
    ]);
    expect(rows.map((r) => Number(r.rl_points))).toEqual([5]);
    const seenByB = await withTenant(b.tenantId, (tx) => tx.select().from(apiRateLimits));
    expect(seenByB.map((r) => [r.tenantId, r.points])).toEqual([[b.tenantId, 5]]);
    expect(limitsOf((await ask(a.client)).response.headers).requests).toMatchObject({ limit: 10, remaining: 8 });
  });

  it("applies an admin's override from the next call, audits it, and keeps to the plan's ceiling", async () => {
    servers.openai.setDefault({ kind: "text", text: "ok", usage: { input: 2, output: 1 } });
    const { owner, client } = await workspace("Override", { keyRequestsPerMinute: 2 });
    await ask(client);
    await ask(client);
    await refusalOf(ask(client));
    // Raised: the very next call goes through, under the new limit (its count kept).
    await updateRateLimits(owner, { ...noLimits, keyRequestsPerMinute: 10 });
    expect(limitsOf((await ask(client)).response.headers).requests).toMatchObject({ limit: 10, remaining: 6 });
    // Back to the plan's (free: 60 a minute per key).
    await updateRateLimits(owner, noLimits);
    expect(limitsOf((await ask(client)).response.headers).requests).toMatchObject({ limit: 60 });

    const entries = (await listAuditEntries(owner, { action: "ai_settings.changed" }, 50)).entries.map((e) => describeAuditEntry(e).details[0]);
    expect(entries).toEqual(
      expect.arrayContaining([
        "API requests per minute, per key: the plan's → 2",
        "API requests per minute, per key: 2 → 10",
        "API requests per minute, per key: 10 → the plan's",
      ]),
    );
    // A free workspace may lower its limits, not raise them past the plan's.
    const error = await updateRateLimits(owner, { ...noLimits, workspaceTokensPerMinute: 10_000_000 }).catch((e: unknown) => e);
    expect(isKeelError(error) && error.fieldErrors).toMatchObject({ workspaceTokensPerMinute: expect.stringMatching(/at most 200,000/) });
    const member = { ...owner, role: "member" as const };
    await expect(updateRateLimits(member, noLimits)).rejects.toMatchObject({ code: "forbidden" });
  });
});
