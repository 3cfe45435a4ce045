// /api/live follows membership and sessions: a removed member's open stream ends within 5 s, so
// does a stream whose session signed out; a person holds at most 10 streams (the 11th is refused
// with 429 and says why); and a stream never carries another tenant's events.
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveStreams } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import type { TenantSession } from "@/lib/auth/guard";
import { revokeSession, startSession } from "@/lib/auth/user-sessions";
import { errorResponse } from "@/lib/http/error-response";
import { acceptInvitation, createInvitation } from "@/lib/tenancy/invitations";
import { removeMember } from "@/lib/tenancy/members";
import { addMember, createTenant } from "@/test/fixtures";
import { publish } from "./job-events";
import { openLiveStream } from "./live-stream";
import { MAX_LIVE_STREAMS_PER_USER } from "./live-stream-leases";
import { removedReason, signedOutReason } from "./live-stream-watch";

interface OpenStream {
  events: { event: string; data: string }[];
  closed: Promise<number>;
  abort(): void;
}

/** Opens a stream and reads it in the background: its events, and when it ended (ms since epoch). */
async function open(ctx: TenantSession): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await openLiveStream(ctx, controller.signal);
  expect(response.status).toBe(200);
  const events: OpenStream["events"] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const closed = (async () => {
    let buffer = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return Date.now();
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data !== undefined) events.push({ event, data });
      }
    }
  })();
  return { events, closed, abort: () => controller.abort() };
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const withinMs = (promise: Promise<number>, ms: number) =>
  Promise.race([promise, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`the stream was still open after ${ms} ms`)), ms))]);

async function session(person: { userId: string; tenantId: string; role: TenantSession["role"] }): Promise<TenantSession> {
  return { ...person, sessionId: await startSession(person.userId, { userAgent: "vitest" }) };
}

function jobMessage(tenantId: string, stage: string) {
  return {
    type: "job" as const,
    tenantId,
    jobId: randomUUID(),
    documentId: null,
    status: "running" as const,
    stage,
    done: 0,
    total: 1,
    message: null,
    at: new Date().toISOString(),
  };
}

const leasesOf = (userId: string) => withSystem("test: count live stream leases", (tx) => tx.select().from(liveStreams).where(eq(liveStreams.userId, userId)));

type Owner = Awaited<ReturnType<typeof createTenant>>;
let alpha: Owner;
let beta: Owner;
const opened: OpenStream[] = [];

beforeAll(async () => {
  alpha = await createTenant("Live alpha");
  beta = await createTenant("Live beta");
});
afterAll(async () => {
  for (const stream of opened) stream.abort();
  await Promise.all(opened.map((s) => s.closed.catch(() => 0)));
});

describe("/api/live follows membership", () => {
  it("ends a removed member's open stream within 5 seconds and tells why", async () => {
    const member = await session(await addMember(alpha, "member"));
    const stream = await open(member);
    opened.push(stream);
    await until(() => stream.events.some((e) => e.event === "ready"), "the snapshot");
    const removedAt = Date.now();
    await removeMember(alpha, member.userId);
    const endedAt = await withinMs(stream.closed, 5_000);
    expect(endedAt - removedAt).toBeLessThan(5_000);
    expect(stream.events.at(-1)).toEqual({ event: "closed", data: JSON.stringify({ reason: removedReason }) });
    // Its slot was given back.
    await expect.poll(async () => (await leasesOf(member.userId)).length).toBe(0);
  });

  it("ends a member's stream within 5 seconds when they leave, and keeps their other workspace's stream", async () => {
    const member = await addMember(alpha, "member");
    const inAlpha = await session(member);
    await addMemberTo(beta, member);
    const inBeta = { ...inAlpha, tenantId: beta.tenantId, role: "member" as const };
    const alphaStream = await open(inAlpha);
    const betaStream = await open(inBeta);
    opened.push(alphaStream, betaStream);
    const leftAt = Date.now();
    await removeMember(inAlpha, member.userId);
    expect((await withinMs(alphaStream.closed, 5_000)) - leftAt).toBeLessThan(5_000);
    // Still a member of beta: that stream lives on and hears beta's events.
    await withTenant(beta.tenantId, (tx) => publish(tx, jobMessage(beta.tenantId, "after-leaving-alpha")));
    await until(() => betaStream.events.some((e) => e.data.includes("after-leaving-alpha")), "beta's event");
    betaStream.abort();
    await betaStream.closed;
  });

  it("ends a signed-out session's streams within 5 seconds, not another session's", async () => {
    const owner = await session(alpha);
    const otherDevice = await session(alpha);
    const signedOut = await open(owner);
    const kept = await open(otherDevice);
    opened.push(signedOut, kept);
    await until(() => signedOut.events.some((e) => e.event === "ready"), "the snapshot");
    const signedOutAt = Date.now();
    await revokeSession(owner.userId, owner.sessionId);
    expect((await withinMs(signedOut.closed, 5_000)) - signedOutAt).toBeLessThan(5_000);
    expect(signedOut.events.at(-1)).toEqual({ event: "closed", data: JSON.stringify({ reason: signedOutReason }) });
    // The other session's stream outlives a full check cycle.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await withTenant(alpha.tenantId, (tx) => publish(tx, jobMessage(alpha.tenantId, "still-here")));
    await until(() => kept.events.some((e) => e.data.includes("still-here")), "the kept stream's event");
    kept.abort();
    await kept.closed;
  });

  it(`gives one person ${MAX_LIVE_STREAMS_PER_USER} streams, refuses the next with 429, and frees a slot on close`, async () => {
    const person = await session(await addMember(beta, "member"));
    const streams = [];
    for (let i = 0; i < MAX_LIVE_STREAMS_PER_USER; i++) streams.push(await open(person));
    opened.push(...streams);
    const refused = await openLiveStream(person, new AbortController().signal).then(
      () => null,
      (error: unknown) => error,
    );
    const response = errorResponse(refused);
    expect(response.status).toBe(429);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.message).toContain(`${MAX_LIVE_STREAMS_PER_USER} live connections open`);
    // Another session of the same person counts against the same cap.
    const otherSession = { ...person, sessionId: await startSession(person.userId) };
    await expect(openLiveStream(otherSession, new AbortController().signal)).rejects.toMatchObject({ status: 429 });

    streams[0]!.abort();
    await streams[0]!.closed;
    await expect.poll(async () => (await leasesOf(person.userId)).length).toBe(MAX_LIVE_STREAMS_PER_USER - 1);
    const again = await open(otherSession);
    opened.push(again);
    for (const stream of [...streams, again]) stream.abort();
  });

  it("does not count the leases a dead process left behind once they expire", async () => {
    const person = await session(await addMember(beta, "member"));
    // Ten streams of a process that died 40 s ago (its leases ran out 10 s ago).
    await withSystem("test: leases of a dead process", (tx) =>
      tx.insert(liveStreams).values(
        Array.from({ length: MAX_LIVE_STREAMS_PER_USER }, () => ({
          userId: person.userId,
          sessionId: person.sessionId,
          tenantId: person.tenantId,
          expiresAt: new Date(Date.now() - 10_000),
        })),
      ),
    );
    const stream = await open(person);
    opened.push(stream);
    expect(await leasesOf(person.userId)).toHaveLength(1);
    stream.abort();
  });

  it("never sends one tenant's events to another tenant's stream", async () => {
    const alphaOwner = await session(alpha);
    const betaOwner = await session(beta);
    const alphaStream = await open(alphaOwner);
    const betaStream = await open(betaOwner);
    opened.push(alphaStream, betaStream);
    await until(() => alphaStream.events.some((e) => e.event === "ready") && betaStream.events.some((e) => e.event === "ready"), "both snapshots");
    await withTenant(alpha.tenantId, (tx) => publish(tx, jobMessage(alpha.tenantId, "alpha-secret-stage")));
    await withTenant(beta.tenantId, (tx) => publish(tx, jobMessage(beta.tenantId, "beta-stage")));
    await until(() => alphaStream.events.some((e) => e.data.includes("alpha-secret-stage")), "alpha's own event");
    await until(() => betaStream.events.some((e) => e.data.includes("beta-stage")), "beta's own event");
    expect(betaStream.events.some((e) => e.data.includes(alpha.tenantId) || e.data.includes("alpha-secret-stage"))).toBe(false);
    expect(alphaStream.events.some((e) => e.data.includes("beta-stage"))).toBe(false);
    alphaStream.abort();
    betaStream.abort();
  });
});

/** Adds an existing person to another workspace (through an invitation, as the app does). */
async function addMemberTo(owner: Owner, person: { userId: string }): Promise<void> {
  const { secret } = await createInvitation(owner, { role: "member", expiresInDays: 7 });
  await acceptInvitation({ tenantId: owner.tenantId, secret, userId: person.userId });
}
