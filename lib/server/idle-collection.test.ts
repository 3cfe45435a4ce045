import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { collectWhenIdle, idleCollectionEnabled } from "./idle-collection";

const MiB = 1024 * 1024;

describe("idleCollectionEnabled", () => {
  it("is off unless KEEL_IDLE_GC says on", () => {
    expect(idleCollectionEnabled({})).toBe(false);
    expect(idleCollectionEnabled({ KEEL_IDLE_GC: "0" })).toBe(false);
    expect(idleCollectionEnabled({ KEEL_IDLE_GC: "yes please" })).toBe(false);
    for (const on of ["1", "true", " ON "]) expect(idleCollectionEnabled({ KEEL_IDLE_GC: on })).toBe(true);
  });
});

describe("collectWhenIdle", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A worker whose heap grows by `growth` a second while `busy` says so. */
  function worker(growth: number) {
    vi.useFakeTimers();
    let used = 100 * MiB;
    let busy = true;
    const collect = vi.fn(() => {
      used = 100 * MiB;
    });
    const idle = collectWhenIdle({
      intervalMs: 1_000,
      minGrowthBytes: 32 * MiB,
      collect,
      heapUsed: () => used,
      utilization: () => (busy ? 0.6 : 0.01),
    });
    const run = (seconds: number, state: "busy" | "idle") => {
      busy = state === "busy";
      for (let s = 0; s < seconds; s++) {
        if (busy) used += growth;
        vi.advanceTimersByTime(1_000);
      }
    };
    return { idle, collect, run };
  }

  it("collects once the worker goes idle after its heap grew, not while it is busy", () => {
    const { idle, collect, run } = worker(16 * MiB);
    run(10, "busy");
    expect(collect).not.toHaveBeenCalled();
    run(1, "idle");
    expect(collect).toHaveBeenCalledTimes(1);
    // Still idle, nothing new allocated: no second collection.
    run(10, "idle");
    expect(idle.collections).toBe(1);
    // The next burst, then idle again: once more.
    run(3, "busy");
    run(1, "idle");
    expect(idle.collections).toBe(2);
  });

  it("leaves a heap that grew less than the threshold alone", () => {
    const { collect, run } = worker(MiB);
    run(20, "busy");
    run(5, "idle");
    expect(collect).not.toHaveBeenCalled();
  });

  it("does nothing once stopped", () => {
    const { idle, collect, run } = worker(64 * MiB);
    run(2, "busy");
    idle.stop();
    run(5, "idle");
    expect(collect).not.toHaveBeenCalled();
  });

  // The real pieces: Node's event-loop utilisation and heap figures, and the gc() of --expose-gc
  // (counted through a wrapper). The 120 MiB stay reachable, so only this collector runs a full
  // collection here, at its first idle look after the busy start.
  const child = (flags: string[]) => {
    const script = `
      const realGc = globalThis.gc;
      let calls = 0;
      if (realGc) globalThis.gc = () => { calls++; realGc(); };
      const { collectWhenIdle } = await import(${JSON.stringify(new URL("./idle-collection.ts", import.meta.url).pathname)});
      const idle = collectWhenIdle({ intervalMs: 200 });
      const kept = [];
      for (let i = 0; i < 120; i++) kept.push(new Array(128 * 1024).fill(i));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      console.log(JSON.stringify({ calls, collections: idle.collections, kept: kept.length }));
    `;
    return promisify(execFile)(process.execPath, [...flags, "--import", "tsx", "--input-type=module", "-e", script]).then(
      ({ stdout }) => JSON.parse(stdout) as { calls: number; collections: number },
    );
  };

  it("in a process started with --expose-gc, collects once, when idle after the heap grew", async () => {
    expect(await child(["--expose-gc"])).toMatchObject({ calls: 1, collections: 1 });
  });

  it("without --expose-gc, never collects", async () => {
    expect(await child([])).toMatchObject({ calls: 0, collections: 0 });
  });
});
