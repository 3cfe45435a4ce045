// A serving worker can collect its garbage once a burst of work is over (KEEL_IDLE_GC=1). V8
// starts a full collection only as a process keeps allocating, so a worker that went quiet after a
// burst keeps the burst's dead objects, and the memory under them, until its next busy spell:
// measured under `npm run bench:load` (Node's diagnostic reports after each wave of 500 streams), a
// worker's old space held 51 to 153 MiB in use depending only on when its last full collection
// happened, and the workers' resident memory swung with it by 9–38% from wave to wave, with no leak
// behind it (the heap in use after a collection stayed at 30–55 MiB, wave after wave).
//
// With it on: every `intervalMs`, if the event loop was busy less than `idleUtilization` of that
// interval and the heap has grown by `minGrowthBytes` since the last collection, the worker runs one
// full collection while it has nothing else to do. Idle is event-loop utilisation, not "no requests
// open": server-sent event streams stay open for hours and cost nothing between events. Resident
// memory then stays flat across waves (0–5% instead of 9–38%), but the next burst costs more CPU
// (about a quarter more per request and per stream in alternating runs: V8 sizes the heap down
// and works harder to grow it back), which is why it is off unless asked for. It needs `gc`, exposed by `--expose-gc`
// (scripts/serve.ts starts its workers with it when on); without it this does nothing.
import { performance, type EventLoopUtilization } from "node:perf_hooks";

export interface IdleCollectionOptions {
  /** How often the worker looks at how busy it was. */
  intervalMs?: number;
  /** Event-loop utilisation (0–1) over the last interval below which the worker counts as idle. */
  idleUtilization?: number;
  /** Heap growth since the last collection below which collecting is not worth its pause. */
  minGrowthBytes?: number;
  /** The full collection (globalThis.gc under --expose-gc). */
  collect?: () => void;
  /** Bytes of heap in use now. */
  heapUsed?: () => number;
  /** Event-loop utilisation since the last call (the first call: since the process started). */
  utilization?: () => number;
}

export interface IdleCollection {
  /** Full collections run so far. */
  readonly collections: number;
  stop(): void;
}

const MiB = 1024 * 1024;

/** KEEL_IDLE_GC: 1/true/on turns idle collection on in the serving workers. */
export function idleCollectionEnabled(env: Record<string, string | undefined> = process.env): boolean {
  return ["1", "true", "on"].includes(env.KEEL_IDLE_GC?.trim().toLowerCase() ?? "");
}

/** The collector of `--expose-gc`, if this process was started with it. */
function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === "function" ? () => (gc as () => void)() : undefined;
}

function eventLoopUtilization(): () => number {
  let last: EventLoopUtilization | undefined;
  return () => {
    const now = performance.eventLoopUtilization();
    const since = last ? performance.eventLoopUtilization(now, last) : now;
    last = now;
    return since.utilization;
  };
}

export function collectWhenIdle(options: IdleCollectionOptions = {}): IdleCollection {
  const collect = options.collect ?? exposedGc();
  const minGrowthBytes = options.minGrowthBytes ?? 32 * MiB;
  const idleUtilization = options.idleUtilization ?? 0.05;
  const heapUsed = options.heapUsed ?? (() => process.memoryUsage().heapUsed);
  const utilization = options.utilization ?? eventLoopUtilization();
  let baseline = heapUsed();
  let collections = 0;
  const timer = collect
    ? setInterval(() => {
        if (utilization() >= idleUtilization || heapUsed() - baseline < minGrowthBytes) return;
        collect();
        collections++;
        baseline = heapUsed();
      }, options.intervalMs ?? 1_000)
    : null;
  timer?.unref();
  return {
    get collections() {
      return collections;
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
