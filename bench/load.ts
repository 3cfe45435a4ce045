// A small HTTP load generator: keep-alive sockets, fixed concurrency, per-request latency and
// time to first streamed token. Shared by direct (fake provider) and gateway measurements.
import http from "node:http";

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export interface Sample {
  status: number;
  /** Until the whole response was read. */
  totalMs: number;
  /** Until the first chunk that carries content (streams) or the first byte. */
  firstTokenMs: number;
}

export function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Sample> {
  const target = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers },
      },
      (response) => {
        let firstTokenMs = -1;
        response.on("data", (chunk: Buffer) => {
          if (firstTokenMs < 0 && (response.headers["content-type"]?.includes("event-stream") ? chunk.includes('"content"') : true))
            firstTokenMs = performance.now() - started;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, totalMs: performance.now() - started, firstTokenMs }));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** Runs `count` requests with at most `concurrency` in flight; returns samples and wall time. */
export async function run(count: number, concurrency: number, make: (i: number) => Promise<Sample>): Promise<{ samples: Sample[]; wallMs: number }> {
  const samples: Sample[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        samples.push(await make(i));
      }
    }),
  );
  return { samples, wallMs: performance.now() - started };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export const median = (values: number[]) => percentile(values, 50);
