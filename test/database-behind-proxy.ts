// A connection pool that reaches PostgreSQL through a TCP proxy of its own, so a test can cut the
// database away from the code under test (test/fakes/tcp-proxy.ts) and bring it back.
import { openDatabase } from "@/db/engine";
import type { Database } from "@/db/types";
import { startTcpProxy, type TcpProxy } from "./fakes/tcp-proxy";

/** A connection pool to the PostgreSQL server at `databaseUrl` through a proxy of its own, so a test can cut it. */
export async function databaseBehindProxy(
  databaseUrl: string,
  maxConnections: number,
): Promise<{ proxy: TcpProxy; database: Database; close(): Promise<void> }> {
  const url = new URL(databaseUrl);
  const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
  url.host = `127.0.0.1:${proxy.port}`;
  const database = await openDatabase({ kind: "postgres", url: url.toString(), maxConnections });
  return {
    proxy,
    database,
    close: async () => {
      await database.close().catch(() => {});
      await proxy.close();
    },
  };
}
