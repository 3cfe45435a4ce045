// Raw HTTP for the isolation matrix: each call carries exactly the caller's credentials (a fixed
// cookie header or API key, never a cookie jar a response could change), reads at most a bounded
// time of any stream (/api/live, a streamed answer), and returns everything a leak could ride in.
import type { BrowserContext } from "@playwright/test";

export interface Caller {
  /** The session cookies as one Cookie header. */
  cookie: string;
  /** A key for /api/v1 (Authorization: Bearer). */
  apiKey: string;
}

export interface Outgoing {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | FormData | Blob;
  /** How long a streamed body is read before the call stops listening (default 4 s). */
  readForMs?: number;
}

export interface Answer {
  status: number;
  /** The status line's text and every header, one `name: value` per line. */
  head: string;
  body: string;
}

export async function cookieHeader(context: BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
}

/** Sends one request and reads its answer for at most `readForMs` (streams are cut there, not failed). */
export async function send(baseUrl: string, outgoing: Outgoing): Promise<Answer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), outgoing.readForMs ?? 4_000);
  try {
    const response = await fetch(new URL(outgoing.path, baseUrl), {
      method: outgoing.method,
      headers: outgoing.headers,
      body: outgoing.body,
      redirect: "manual",
      signal: controller.signal,
    });
    const head = [`${response.status} ${response.statusText}`, ...[...response.headers].map(([name, value]) => `${name}: ${value}`)].join("\n");
    const chunks: Uint8Array[] = [];
    const reader = response.body?.getReader();
    try {
      for (let read = await reader?.read(); read && !read.done; read = await reader?.read()) chunks.push(read.value);
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
    // latin1 keeps every byte of a binary body (a zip, a PDF) searchable as well as text.
    const bytes = Buffer.concat(chunks);
    return { status: response.status, head, body: `${bytes.toString("utf8")}\n${bytes.toString("latin1")}` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A server action's request body as React's `encodeReply` writes it: a JSON array of the
 * arguments, or, when an argument is a FormData, a multipart body whose part `0` is the JSON with
 * `$K<n>` in the FormData's place and whose fields are prefixed `_<n>_`.
 */
function encodeActionArguments(args: unknown[]): string | FormData {
  if (!args.some((arg) => arg instanceof FormData)) return JSON.stringify(args.map((arg) => (arg === undefined ? "$undefined" : arg)));
  const body = new FormData();
  let part = 0;
  const root = args.map((arg) => {
    if (arg === undefined) return "$undefined";
    if (!(arg instanceof FormData)) return arg;
    part += 1;
    for (const [key, value] of arg.entries()) body.append(`_${part}_${key}`, value);
    return `$K${part.toString(16)}`;
  });
  body.set("0", JSON.stringify(root));
  return body;
}

export function formData(fields: Record<string, string>): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  return form;
}

/** Calls a server action by id on a page path, as the browser does. */
export function actionRequest(baseUrl: string, path: string, actionId: string, args: unknown[], headers: Record<string, string>): Outgoing {
  const body = encodeActionArguments(args);
  return {
    method: "POST",
    path,
    body,
    headers: {
      ...headers,
      accept: "text/x-component",
      "next-action": actionId,
      origin: baseUrl,
      ...(typeof body === "string" ? { "content-type": "text/plain;charset=UTF-8" } : {}),
    },
  };
}
