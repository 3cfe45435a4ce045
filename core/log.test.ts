import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it } from "vitest";
import { serializeError } from "./log";

describe("serializeError", () => {
  it("logs the driver's cause, never drizzle's message with the query and its parameters", () => {
    const cause = Object.assign(new Error('duplicate key value violates unique constraint "users_email_unique"'), { code: "23505", severity: "ERROR" });
    const wrapped = new DrizzleQueryError("insert into users (email, password_hash) values ($1, $2)", ["a@b.test", "$argon2id$v=19$m=19456$secret"], cause);
    const logged = JSON.stringify(serializeError(wrapped));
    expect(logged).toContain("23505");
    expect(logged).toContain("users_email_unique");
    expect(logged).not.toContain("argon2id");
    expect(logged).not.toContain("a@b.test");
    expect(logged).not.toContain("insert into users");
  });
});
