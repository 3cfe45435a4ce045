// One app process in the two-process quota race: its own gateway and connection pool on the
// shared database, firing its share of requests at an agreed instant. Prints a JSON summary.
import { closeDatabase } from "@/db/client";
import { baseGatewayConfig } from "@/lib/ai/config";
import { Gateway } from "@/lib/ai/gateway";
import { isGatewayError } from "@/lib/ai/errors";

const { FAKE_OPENAI_URL, TENANT_ID, REQUESTS, START_AT, MAX_OUTPUT } = process.env;
if (!FAKE_OPENAI_URL || !TENANT_ID || !process.env.DATABASE_URL) throw new Error("quota-worker needs FAKE_OPENAI_URL, TENANT_ID and DATABASE_URL");

const gateway = new Gateway({
  ...baseGatewayConfig,
  providers: [{ name: "openai", apiKey: "test", baseURL: FAKE_OPENAI_URL }],
  retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0 },
  profileTtlMs: 0,
});
const ctx = { tenantId: TENANT_ID, feature: "api", cache: { noCache: true, noStore: true } };
await gateway.profile(TENANT_ID); // warm the pool before the start line
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(START_AT) - Date.now())));
const results = await Promise.allSettled(
  Array.from({ length: Number(REQUESTS) }, () =>
    gateway.generate(ctx, { role: "chat", prompt: [{ role: "user", content: [{ type: "text", text: "race" }] }], maxOutputTokens: Number(MAX_OUTPUT) }),
  ),
);
await gateway.flush();
const refused = results.filter((r) => r.status === "rejected" && isGatewayError(r.reason) && r.reason.code === "quota_exceeded").length;
const admitted = results.filter((r) => r.status === "fulfilled").length;
console.log(JSON.stringify({ admitted, refused, other: results.length - admitted - refused }));
await closeDatabase();
