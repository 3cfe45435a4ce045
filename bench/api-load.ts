// The load tool of bench/load-api.ts and its CI-sized test: undici's connection pool against Keel's
// OpenAI-compatible API.
// - Streaming waves: every stream sent at once, each server-sent event timed as it arrives, so a
//   stall anywhere between the provider and the client shows as a gap between two events.
// - Non-streaming at a fixed offered rate, open loop: arrivals follow the schedule whatever the
//   answers do, and each latency counts from the request's scheduled time, so a slow server cannot
//   hide its queue by slowing the load down (coordinated omission).
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { z } from "zod";

export interface ApiTarget {
  /** http://host:port */
  origin: string;
  apiKey: string;
  /** Default /api/v1/chat/completions; the benchmark's baseline sends the same requests to the fake's own path. */
  path?: string;
}

export interface StreamSample {
  status: number;
  /** Why the stream does not count as a whole answer (status, error event, no [DONE], no usage, a socket error). */
  error: string | null;
  sentAt: number;
  /** When the first content delta arrived (NaN if none). */
  firstAt: number;
  endedAt: number;
  /** Between consecutive server-sent events, from the first content delta to [DONE]. */
  gapsMs: number[];
  contentEvents: number;
  usage: Usage | null;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

const usageSchema = z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int() });
const chunkSchema = z.object({
  choices: z.array(z.object({ delta: z.object({ content: z.string().nullish() }).partial() })).optional(),
  usage: usageSchema.nullish(),
  error: z.unknown().optional(),
});
const completionSchema = z.object({ choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1), usage: usageSchema });

/** A pool with a socket per request in flight (HTTP/1.1 carries one stream per connection). */
export function connectionPool(origin: string, connections: number): Pool {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 });
}

const API_PATH = "/api/v1/chat/completions";

let questionCounter = 0;
/** A question no other call asks: every call misses the exact cache and reaches the provider. */
const uniqueQuestion = () => `load question ${process.pid}-${Date.now()}-${questionCounter++}: say forty words`;

function chatBody(stream: boolean): string {
  return JSON.stringify({
    model: "keel-chat",
    messages: [{ role: "user", content: uniqueQuestion() }],
    max_tokens: 64,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

const headers = (target: ApiTarget) => ({ authorization: `Bearer ${target.apiKey}`, "content-type": "application/json" });

/** One streaming chat completion, read event by event. */
export async function streamOnce(pool: Pool, target: ApiTarget): Promise<StreamSample> {
  const sample: StreamSample = {
    status: 0,
    error: null,
    sentAt: performance.now(),
    firstAt: Number.NaN,
    endedAt: Number.NaN,
    gapsMs: [],
    contentEvents: 0,
    usage: null,
  };
  try {
    const response = await pool.request({ path: target.path ?? API_PATH, method: "POST", headers: headers(target), body: chatBody(true) });
    sample.status = response.statusCode;
    if (response.statusCode !== 200) {
      sample.error = `HTTP ${response.statusCode}: ${(await response.body.text()).slice(0, 200)}`;
      return sample;
    }
    let buffered = "";
    let lastEventAt = Number.NaN;
    let done = false;
    for await (const piece of response.body as AsyncIterable<Buffer>) {
      const arrivedAt = performance.now();
      buffered += piece.toString("utf8");
      let end: number;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = event.startsWith("data: ") ? event.slice(6) : null;
        if (data === null) continue;
        // Gaps are timed from the first content delta on: before it is the time to first token.
        if (!Number.isNaN(lastEventAt)) sample.gapsMs.push(arrivedAt - lastEventAt);
        if (data === "[DONE]") {
          done = true;
          lastEventAt = arrivedAt;
          continue;
        }
        const chunk = chunkSchema.parse(JSON.parse(data));
        if (chunk.error !== undefined) sample.error = `error event: ${data.slice(0, 200)}`;
        if (chunk.usage) sample.usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
        if (chunk.choices?.[0]?.delta.content) {
          sample.contentEvents++;
          if (Number.isNaN(sample.firstAt)) sample.firstAt = arrivedAt;
        }
        if (!Number.isNaN(sample.firstAt)) lastEventAt = arrivedAt;
      }
    }
    if (!sample.error && !done) sample.error = "the stream ended without [DONE]";
    if (!sample.error && !sample.usage) sample.error = "the stream carried no usage";
    if (!sample.error && sample.contentEvents === 0) sample.error = "the stream carried no content";
  } catch (error) {
    sample.error = `socket: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    sample.endedAt = performance.now();
  }
  return sample;
}

/** `count` streams sent at once. */
export function streamWave(pool: Pool, target: ApiTarget, count: number): Promise<StreamSample[]> {
  return Promise.all(Array.from({ length: count }, () => streamOnce(pool, target)));
}

export interface WaveFigures {
  streams: number;
  errors: number;
  /** Sample error messages, at most five. */
  errorSamples: string[];
  /** Most requests in flight at one moment, and most streams between their first and last event at one moment. */
  peakInFlight: number;
  peakStreaming: number;
  maxGapMs: number;
  gapsOver: number;
  gapP50Ms: number;
  gapP99Ms: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
  usage: Usage;
}

/** Most intervals [start, end) open at once. */
function peakOverlap(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]);
  // Ends sort before starts at the same instant: touching intervals do not overlap.
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let open = 0;
  let peak = 0;
  for (const [, delta] of edges) peak = Math.max(peak, (open += delta!));
  return peak;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function waveFigures(samples: StreamSample[], stallMs: number): WaveFigures {
  const failed = samples.filter((s) => s.error !== null);
  const gaps = samples.flatMap((s) => s.gapsMs);
  const streamed = samples.filter((s) => !Number.isNaN(s.firstAt));
  return {
    streams: samples.length,
    errors: failed.length,
    errorSamples: [...new Set(failed.map((s) => s.error!))].slice(0, 5),
    peakInFlight: peakOverlap(samples.map((s) => [s.sentAt, s.endedAt])),
    peakStreaming: peakOverlap(streamed.map((s) => [s.firstAt, s.endedAt])),
    maxGapMs: gaps.reduce((max, gap) => Math.max(max, gap), 0),
    gapsOver: gaps.filter((gap) => gap > stallMs).length,
    gapP50Ms: percentile(gaps, 50),
    gapP99Ms: percentile(gaps, 99),
    ttftP50Ms: percentile(
      streamed.map((s) => s.firstAt - s.sentAt),
      50,
    ),
    ttftP99Ms: percentile(
      streamed.map((s) => s.firstAt - s.sentAt),
      99,
    ),
    usage: sumUsage(samples.map((s) => s.usage)),
  };
}

export function sumUsage(usages: Array<Usage | null>): Usage {
  return usages.reduce<Usage>(
    (total, u) => ({ promptTokens: total.promptTokens + (u?.promptTokens ?? 0), completionTokens: total.completionTokens + (u?.completionTokens ?? 0) }),
    { promptTokens: 0, completionTokens: 0 },
  );
}

export interface RateSample {
  status: number;
  error: string | null;
  /** From the request's scheduled time to the end of its answer. */
  latencyMs: number;
  endedAt: number;
  usage: Usage | null;
}

async function completeOnce(pool: Pool, target: ApiTarget, scheduledAt: number): Promise<RateSample> {
  try {
    const response = await pool.request({ path: target.path ?? API_PATH, method: "POST", headers: headers(target), body: chatBody(false) });
    const text = await response.body.text();
    const endedAt = performance.now();
    const sample = { status: response.statusCode, error: null, latencyMs: endedAt - scheduledAt, endedAt, usage: null };
    if (response.statusCode !== 200) return { ...sample, error: `HTTP ${response.statusCode}: ${text.slice(0, 200)}` };
    const parsed = completionSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return { ...sample, error: `unexpected answer: ${text.slice(0, 200)}` };
    return { ...sample, usage: { promptTokens: parsed.data.usage.prompt_tokens, completionTokens: parsed.data.usage.completion_tokens } };
  } catch (error) {
    const endedAt = performance.now();
    return { status: 0, error: `socket: ${error instanceof Error ? error.message : String(error)}`, latencyMs: endedAt - scheduledAt, endedAt, usage: null };
  }
}

export interface RateFigures {
  offered: number;
  requests: number;
  errors: number;
  errorSamples: string[];
  /** Answers per second, from the first scheduled arrival to the last answer. */
  achievedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  usage: Usage;
}

/** Non-streaming completions arriving at `perSecond` for `seconds`, whatever the answers do. */
export async function openLoop(pool: Pool, target: ApiTarget, perSecond: number, seconds: number): Promise<RateFigures> {
  const total = Math.round(perSecond * seconds);
  const intervalMs = 1000 / perSecond;
  const started = performance.now();
  const pending: Array<Promise<RateSample>> = [];
  await new Promise<void>((resolve) => {
    const launchDue = () => {
      const now = performance.now();
      // Everything due by now goes out now, late timers included: the schedule is the clock's, not the loop's.
      while (pending.length < total && started + pending.length * intervalMs <= now)
        pending.push(completeOnce(pool, target, started + pending.length * intervalMs));
      if (pending.length >= total) return resolve();
      setTimeout(launchDue, Math.max(0, started + pending.length * intervalMs - performance.now()));
    };
    launchDue();
  });
  const samples = await Promise.all(pending);
  const failed = samples.filter((s) => s.error !== null);
  const latencies = samples.map((s) => s.latencyMs);
  const lastEnd = samples.reduce((max, s) => Math.max(max, s.endedAt), started);
  return {
    offered: perSecond,
    requests: samples.length,
    errors: failed.length,
    errorSamples: [...new Set(failed.map((s) => s.error!))].slice(0, 5),
    achievedPerSecond: ((samples.length - failed.length) / (lastEnd - started)) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.reduce((max, l) => Math.max(max, l), 0),
    usage: sumUsage(samples.map((s) => s.usage)),
  };
}
