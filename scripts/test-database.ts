// Creates and drops throwaway databases for tests, and refuses anything but a local server.
import postgres from "postgres";

const localHosts = new Set(["localhost", "127.0.0.1", "::1", "[::1]", ""]);

export function assertLocalDatabaseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("TEST_DATABASE_URL is not a valid postgres:// URL");
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new Error("TEST_DATABASE_URL must be a postgres:// URL");
  const socketHost = parsed.searchParams.get("host");
  const isLocal = localHosts.has(parsed.hostname) || (parsed.hostname === "" && (socketHost ?? "/").startsWith("/"));
  if (!isLocal) {
    throw new Error(`Refusing to run tests against ${parsed.hostname}: tests create and drop databases, so they only run on a local server.`);
  }
  return parsed;
}

/**
 * Creates `<prefix>_<random>` on the server of `adminUrl` and returns its URL; with `template`
 * (another test database's URL), as a copy of that database.
 */
export async function createTestDatabase(adminUrl: string, prefix: string, options: { template?: string } = {}): Promise<string> {
  const parsed = assertLocalDatabaseUrl(adminUrl);
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const template = options.template ? testDatabaseName(options.template) : null;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(template ? `create database "${name}" template "${template}"` : `create database "${name}"`);
  } finally {
    await admin.end();
  }
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** The name of a test database from its URL, refused unless it is one these functions make. */
function testDatabaseName(databaseUrl: string): string {
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`Unexpected test database name ${name}`);
  return name;
}

export async function dropTestDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  const name = testDatabaseName(databaseUrl);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}
