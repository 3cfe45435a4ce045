// /api/v1 on a real socket for a test file: the production server's router (scripts/api-router.ts)
// on an ephemeral loopback port, with the process-wide gateway pointed at the file's scripted fakes
// (OpenAI, and Gemini when asked for as the fallback), and the environment restored afterwards.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";
import { apiV1Router } from "@/scripts/api-router";
import type { FakeLlmServer } from "./fakes/fake-llm-server";

const gatewayEnv = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "GOOGLE_GENERATIVE_AI_API_KEY", "GOOGLE_GENERATIVE_AI_BASE_URL", "KEEL_MAX_RETRIES"] as const;

/** The gateway is a process singleton built from the environment: drop it so the next call rebuilds it. */
const resetGateway = () => (globalThis as { __keelSingletons?: Map<string, unknown> }).__keelSingletons?.delete("ai:gateway");

export function startApiServerForFile(
  servers: { openai: FakeLlmServer; gemini: FakeLlmServer },
  options: { fallback?: boolean; env?: Record<string, string> } = {},
) {
  const api = { baseURL: "" };
  const names = [...gatewayEnv, ...Object.keys(options.env ?? {})];
  const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  let server: http.Server;
  beforeAll(async () => {
    process.env.OPENAI_API_KEY = "test";
    process.env.OPENAI_BASE_URL = servers.openai.url;
    process.env.KEEL_MAX_RETRIES = "0";
    if (options.fallback) {
      process.env.GOOGLE_GENERATIVE_AI_API_KEY = "test";
      process.env.GOOGLE_GENERATIVE_AI_BASE_URL = servers.gemini.url;
    } else {
      delete process.env.GOOGLE_GENERATIVE_AI_API_KEY;
    }
    Object.assign(process.env, options.env);
    resetGateway();
    const route = await apiV1Router();
    server = http.createServer((request, response) => {
      if (route(request, response) === null) response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    api.baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const name of names) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    resetGateway();
  });
  return api;
}
