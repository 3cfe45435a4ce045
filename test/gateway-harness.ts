// A gateway wired to the scripted fake providers on loopback, with test-sized timeouts.
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { usageEvents } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { rawRows } from "@/db/raw-rows";
import { baseGatewayConfig, type GatewayConfig } from "@/lib/ai/config";
import type { LanguageModelV3StreamPart } from "@ai-sdk/provider";
import { Gateway, type GatewayDeps } from "@/lib/ai/gateway";
import { updateAiSettings, type AiSettingsInput } from "@/lib/ai/ai-settings";
import type { TenantContext } from "@/lib/tenancy/context";
import { startFakeGemini, startFakeOpenAI, type FakeLlmServer } from "./fakes/fake-llm-server";

export const testTimeouts = { firstTokenMs: 400, idleMs: 400, totalMs: 600 };

export function testConfig(openai: FakeLlmServer, gemini: FakeLlmServer, overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    ...baseGatewayConfig,
    providers: [
      { name: "openai", apiKey: "test-openai", baseURL: openai.url },
      { name: "google", apiKey: "test-google", baseURL: gemini.url },
    ],
    timeouts: testTimeouts,
    retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 3_000 },
    breaker: { failureThreshold: 100, cooldownMs: 60_000 },
    cache: { ttlSeconds: 3600, semanticThresholds: {} },
    profileTtlMs: 0,
    ...overrides,
  };
}

/** Starts both fakes for the file and resets their scripts before each test. */
export function startFakeProvidersForFile() {
  const servers = {} as { openai: FakeLlmServer; gemini: FakeLlmServer };
  beforeAll(async () => {
    servers.openai = await startFakeOpenAI();
    servers.gemini = await startFakeGemini();
  });
  beforeEach(() => {
    servers.openai.reset();
    servers.gemini.reset();
  });
  afterAll(async () => {
    await servers.openai?.close();
    await servers.gemini?.close();
  });
  return servers;
}

export function recordingSleep() {
  const waits: number[] = [];
  const sleep: NonNullable<GatewayDeps["sleep"]> = async (ms) => {
    waits.push(ms);
    await new Promise((resolve) => setTimeout(resolve, ms));
  };
  return { waits, sleep };
}

export const generationRequests = (server: FakeLlmServer) => server.requests.filter((r) => /chat\/completions|generateContent/i.test(r.path));

export const userPrompt = (text: string, system?: string) => [
  ...(system ? [{ role: "system" as const, content: system }] : []),
  { role: "user" as const, content: [{ type: "text" as const, text }] },
];

/** Test webhook hosts (hooks.example.test) never resolve: treat them as one public address. */
const publicResolver = async () => [{ address: "93.184.215.14", family: 4 as const }];

export async function setLimits(ctx: TenantContext, limits: Partial<AiSettingsInput>): Promise<void> {
  await updateAiSettings(
    ctx,
    {
      monthlyTokenLimit: null,
      monthlyUsdLimit: null,
      memberMonthlyTokenCap: null,
      softLimitPercent: 80,
      downgradeAtSoftLimit: false,
      warningWebhookUrl: null,
      ...limits,
    },
    { resolveHost: publicResolver },
  );
}

export async function eventsOf(tenantId: string) {
  return withTenant(tenantId, (tx) => tx.select().from(usageEvents).where(eq(usageEvents.tenantId, tenantId)));
}

export async function quotaRow(tenantId: string) {
  const rows = await withSystem("test: read quota period", (tx) =>
    rawRows<{ used_tokens: string; reserved_tokens: string; used_micro_usd: string; reserved_micro_usd: string; token_limit: string | null }>(
      tx,
      sql`select used_tokens, reserved_tokens, used_micro_usd, reserved_micro_usd, token_limit from quota_periods where tenant_id = ${tenantId}`,
    ),
  );
  const row = rows[0];
  return row
    ? {
        usedTokens: Number(row.used_tokens),
        reservedTokens: Number(row.reserved_tokens),
        usedMicroUsd: Number(row.used_micro_usd),
        reservedMicroUsd: Number(row.reserved_micro_usd),
      }
    : null;
}

export function newGateway(config: GatewayConfig, deps: GatewayDeps = {}) {
  return new Gateway(config, deps);
}

/** Reads a gateway stream to its end. */
export async function drain(parts: ReadableStream<LanguageModelV3StreamPart>): Promise<LanguageModelV3StreamPart[]> {
  const collected: LanguageModelV3StreamPart[] = [];
  for await (const part of parts as unknown as AsyncIterable<LanguageModelV3StreamPart>) collected.push(part);
  return collected;
}
