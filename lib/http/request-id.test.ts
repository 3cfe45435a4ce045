// Each request gets a fresh id of Keel's own in the response header, and every log line written
// while it is handled (even after awaits) carries it; a client's own id is ignored.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentLogContext } from "@/core/log";
import { withRequestId } from "./request-id";

let server: Server;
let url = "";
const seen: (string | undefined)[] = [];

beforeAll(async () => {
  server = createServer((_request, response) =>
    withRequestId(response, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(currentLogContext()?.requestId);
      response.end("ok");
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("request ids", () => {
  it("puts one fresh id in the header and in the log context of the work it started", async () => {
    const first = await fetch(url, { headers: { "x-request-id": "chosen-by-client" } });
    const second = await fetch(url);
    const ids = [first.headers.get("x-request-id"), second.headers.get("x-request-id")];
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
    expect(seen).toEqual(ids);
  });
});
