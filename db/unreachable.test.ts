// isDatabaseUnreachable tells a database out of reach (a 503 to retry) from a statement's own error
// (a 500, logged), on the errors the driver really throws: a connection cut mid-query through a TCP
// proxy, connections refused while it is down, a server that was never there, and a bad value.
// PostgreSQL only (the embedded engine has no network).
import net from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "@/db/engine";
import type { Database } from "@/db/types";
import { databaseBehindProxy } from "@/test/database-behind-proxy";
import type { TcpProxy } from "@/test/fakes/tcp-proxy";
import { isDatabaseUnreachable } from "./unreachable";
import { testDatabaseUrl } from "@/test/database-url";

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const failure = (work: Promise<unknown>) =>
  work.then(
    () => expect.fail("the query succeeded"),
    (error: unknown) => error,
  );

describe.runIf(testDatabaseUrl())("isDatabaseUnreachable", () => {
  let proxy: TcpProxy;
  let database: Database;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ proxy, database, close } = await databaseBehindProxy(testDatabaseUrl()!, 2));
  });
  afterAll(async () => close?.());

  it("is true for a connection cut mid-query and for one refused, false for a bad value", async () => {
    const running = failure(database.db.execute(sql`select pg_sleep(5)`));
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.cut("refuse");
    expect(isDatabaseUnreachable(await running)).toBe(true);
    expect(isDatabaseUnreachable(await failure(database.db.execute(sql`select 1`)))).toBe(true);
    await proxy.restore();
    await database.db.execute(sql`select 1`);

    const url = new URL(testDatabaseUrl()!);
    url.host = `127.0.0.1:${await closedPort()}`;
    expect(isDatabaseUnreachable(await failure(openDatabase({ kind: "postgres", url: url.toString(), maxConnections: 1 })))).toBe(true);

    const badValue = await failure(database.db.execute(sql`select 'not a number'::int`));
    expect(isDatabaseUnreachable(badValue)).toBe(false);
    expect(isDatabaseUnreachable(new Error("something else"))).toBe(false);
  });
});
