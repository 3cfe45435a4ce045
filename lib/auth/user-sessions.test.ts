// Sessions are revocable: a revoked session reads as signed out at once in the process that
// revoked it and within the 2 s cache window in any other; one person never sees or ends another's.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { userSessions } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { createTenant } from "@/test/fixtures";
import { isSessionActive, revokeOtherSessions, revokeSession, SESSION_CHECK_TTL_MS, startSession } from "./user-sessions";

type Owner = Awaited<ReturnType<typeof createTenant>>;
let alice: Owner;
let bob: Owner;

const rowOf = async (id: string) => (await withSystem("test: read a session", (tx) => tx.select().from(userSessions).where(eq(userSessions.id, id))))[0];

beforeAll(async () => {
  alice = await createTenant("Sessions A");
  bob = await createTenant("Sessions B");
});

describe("revocable sessions", () => {
  it("records where a session started, with bounded text, and reads it as active", async () => {
    const id = await startSession(alice.userId, { userAgent: "x".repeat(5_000), ip: "203.0.113.9" });
    expect(await isSessionActive(alice.userId, id)).toBe(true);
    const row = await rowOf(id);
    expect(row).toMatchObject({ userId: alice.userId, ip: "203.0.113.9", revokedAt: null });
    expect(row!.userAgent).toHaveLength(300);
  });

  it("refreshes a stale last-seen time after answering, without making the check wait for it", async () => {
    const id = await startSession(alice.userId);
    const stale = new Date(Date.now() - 10 * 60_000);
    await withSystem("test: age a session", (tx) => tx.update(userSessions).set({ lastSeenAt: stale }).where(eq(userSessions.id, id)));
    expect(await isSessionActive(alice.userId, id)).toBe(true);
    await vi.waitFor(async () => expect((await rowOf(id))!.lastSeenAt.getTime()).toBeGreaterThan(Date.now() - 60_000));
  });

  it("ends a signed-out session at once in this process", async () => {
    const id = await startSession(alice.userId);
    expect(await isSessionActive(alice.userId, id)).toBe(true);
    await revokeSession(alice.userId, id);
    expect(await isSessionActive(alice.userId, id)).toBe(false);
    expect((await rowOf(id))!.revokedAt).toBeInstanceOf(Date);
  });

  it("notices a revocation made elsewhere (another process) within the cache window", async () => {
    const id = await startSession(alice.userId);
    expect(await isSessionActive(alice.userId, id)).toBe(true);
    // Another app process revokes it: this one's cache does not know.
    await withSystem("test: revoke from another process", (tx) => tx.update(userSessions).set({ revokedAt: new Date() }).where(eq(userSessions.id, id)));
    const revokedAt = Date.now();
    while (await isSessionActive(alice.userId, id)) {
      expect(Date.now() - revokedAt).toBeLessThanOrEqual(SESSION_CHECK_TTL_MS + 500);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(SESSION_CHECK_TTL_MS + 500);
  });

  it("treats an unknown id, or another person's session, as not active, and cannot revoke another's", async () => {
    const bobs = await startSession(bob.userId);
    expect(await isSessionActive(alice.userId, bobs)).toBe(false);
    expect(await isSessionActive(alice.userId, "00000000-0000-4000-8000-000000000000")).toBe(false);
    await revokeSession(alice.userId, bobs);
    expect((await rowOf(bobs))!.revokedAt).toBeNull();
    expect(await isSessionActive(bob.userId, bobs)).toBe(true);
  });

  it("signs out everywhere but the current session (what a password change will use)", async () => {
    const person = await createTenant("Sessions C");
    const here = await startSession(person.userId);
    const laptop = await startSession(person.userId);
    const phone = await startSession(person.userId);
    const others = await startSession(alice.userId);
    expect(await isSessionActive(person.userId, laptop)).toBe(true);
    expect(await revokeOtherSessions(person.userId, here)).toBe(2);
    expect(await isSessionActive(person.userId, here)).toBe(true);
    expect(await isSessionActive(person.userId, laptop)).toBe(false);
    expect(await isSessionActive(person.userId, phone)).toBe(false);
    expect(await isSessionActive(alice.userId, others)).toBe(true);
    expect(await revokeOtherSessions(person.userId, null)).toBe(1);
    expect(await isSessionActive(person.userId, here)).toBe(false);
  });
});
