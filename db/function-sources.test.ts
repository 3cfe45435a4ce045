// db/functions is the source of every keel_* function: a freshly migrated database holds exactly
// the files' definitions (pg_get_functiondef, whitespace aside), on PostgreSQL and on PGlite;
// re-applying keeps owners and grants; a signature change replaces the function.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, dropTestDatabase } from "@/scripts/test-database";
import { openDatabase } from "./engine";
import type { Database } from "./types";
import { applyFunctionSources, parseFunctionSource, readFunctionSources } from "./function-sources";
import { rawRows } from "./raw-rows";

const adminUrl = process.env.TEST_DATABASE_URL?.trim();
const engines = [...(adminUrl ? (["postgres"] as const) : []), "pglite"] as const;

const normalised = (text: string) => text.replace(/\s+/g, " ").trim();

async function functionRows(database: Database) {
  return rawRows<{ name: string; definition: string; owner: string; acl: string | null }>(
    database.db,
    sql`select p.proname as name, pg_get_functiondef(p.oid) as definition, pg_get_userbyid(p.proowner) as owner, p.proacl::text as acl
        from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname like 'keel\_%' order by p.proname, p.oid`,
  );
}

describe.each(engines)("SQL functions from db/functions on %s", (engine) => {
  let database: Database;
  let url: string | undefined;

  beforeAll(async () => {
    url = engine === "postgres" ? await createTestDatabase(adminUrl!, "keel_functions") : undefined;
    database = await openDatabase(url ? { kind: "postgres", url, maxConnections: 2 } : { kind: "pglite", dataDir: "memory://" });
  }, 120_000);

  afterAll(async () => {
    await database?.close();
    if (url) await dropTestDatabase(adminUrl!, url);
  });

  it("are, after a fresh migration, exactly the keel_* functions in the database, each as its file defines it", async () => {
    const sources = readFunctionSources();
    const rows = await functionRows(database);
    // A function with no file, a file with no function, or two functions of one name all fail here.
    expect(rows.map((row) => row.name).sort()).toEqual(sources.map((source) => source.name).sort());
    for (const source of sources) {
      const row = rows.find((r) => r.name === source.name);
      expect({ name: source.name, definition: normalised(row!.definition) }).toEqual({ name: source.name, definition: normalised(source.definition) });
    }
  });

  it("skip unchanged files, and re-applied keep every owner and grant", async () => {
    const before = await functionRows(database);
    const sources = readFunctionSources();
    expect(await applyFunctionSources(database.db, sources)).toEqual({ applied: [], unchanged: sources.map((s) => s.name) });

    await database.db.execute(sql`delete from drizzle.keel_function_sources`);
    expect(await applyFunctionSources(database.db, sources)).toEqual({ applied: sources.map((s) => s.name), unchanged: [] });
    expect(await functionRows(database)).toEqual(before);
    const [textMatches] = before.filter((row) => row.name === "keel_text_matches");
    expect(textMatches).toMatchObject({ owner: "keel_system", acl: expect.stringContaining("keel_app=X/keel_system") });
  });

  it("replace a function whose return type or parameters change, and restore its file's grants", async () => {
    const probe = (signature: string, returns: string, body: string) =>
      parseFunctionSource(
        "keel_probe.sql",
        `-- A function for this test only.\nCREATE OR REPLACE FUNCTION public.keel_probe(${signature})\n RETURNS ${returns}\n LANGUAGE sql\nAS $function$ ${body} $function$;\n` +
          `REVOKE ALL ON FUNCTION public.keel_probe(${signature.replace(/^\w+ /, "")}) FROM PUBLIC;\n` +
          `GRANT EXECUTE ON FUNCTION public.keel_probe(${signature.replace(/^\w+ /, "")}) TO keel_app;\n`,
      );
    const probes = async () =>
      rawRows<{ signature: string; returns: string; app: boolean; everyone: boolean }>(
        database.db,
        sql`select p.oid::regprocedure::text as signature, format_type(p.prorettype, null) as returns,
                   has_function_privilege('keel_app', p.oid, 'EXECUTE') as app,
                   coalesce(p.proacl::text like '%,=X/%' or p.proacl::text like '{=X/%', true) as everyone
            from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname = 'keel_probe'`,
      );
    try {
      await applyFunctionSources(database.db, [probe("p integer", "integer", "SELECT p")]);
      expect(await probes()).toEqual([{ signature: "keel_probe(integer)", returns: "integer", app: true, everyone: false }]);
      // A new return type: CREATE OR REPLACE refuses it, so the old function is dropped first.
      await applyFunctionSources(database.db, [probe("p integer", "text", "SELECT p::text")]);
      expect(await probes()).toEqual([{ signature: "keel_probe(integer)", returns: "text", app: true, everyone: false }]);
      // New parameter types would leave a second function beside the old one: the old one goes.
      await applyFunctionSources(database.db, [probe("p text", "text", "SELECT p")]);
      expect(await probes()).toEqual([{ signature: "keel_probe(text)", returns: "text", app: true, everyone: false }]);

      // Something that depends on the old function stops the drop: that takes a versioned migration.
      await database.db.execute(sql`create view keel_probe_user as select keel_probe('x') as v`);
      await expect(applyFunctionSources(database.db, [probe("p text", "integer", "SELECT length(p)")])).rejects.toThrow();
      expect(await probes()).toEqual([{ signature: "keel_probe(text)", returns: "text", app: true, everyone: false }]);
    } finally {
      await database.db.execute(sql`drop view if exists keel_probe_user`);
      await database.db.execute(sql`drop function if exists keel_probe(integer)`);
      await database.db.execute(sql`drop function if exists keel_probe(text)`);
      await database.db.execute(sql`delete from drizzle.keel_function_sources where name = 'keel_probe'`);
    }
  });
});

describe("a function file", () => {
  const definition = "CREATE OR REPLACE FUNCTION public.keel_x()\n RETURNS integer\n LANGUAGE sql\nAS $function$ SELECT 1 $function$";

  it("is split into its definition and the statements about it that follow", () => {
    const source = parseFunctionSource("keel_x.sql", `-- Why.\n${definition};\n-- Who may call it.\nGRANT EXECUTE ON FUNCTION public.keel_x() TO keel_app;\n`);
    expect(source).toMatchObject({ name: "keel_x", definition, privileges: ["GRANT EXECUTE ON FUNCTION public.keel_x() TO keel_app"] });
  });

  it("is refused when it defines another function, has SQL before it, or anything but privileges after it", () => {
    expect(() => parseFunctionSource("keel_y.sql", `${definition};`)).toThrow(/defines keel_x/);
    expect(() => parseFunctionSource("keel_x.sql", `SELECT 1;\n${definition};`)).toThrow(/only comments/);
    expect(() => parseFunctionSource("keel_x.sql", `${definition};\nDROP TABLE users;`)).toThrow(/only ALTER FUNCTION/);
    expect(() => parseFunctionSource("keel_x.sql", definition)).toThrow(/semicolon/);
  });
});
