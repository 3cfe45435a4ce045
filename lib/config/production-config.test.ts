import { describe, expect, it } from "vitest";
import { emailVerificationRequired } from "@/lib/mail/mail-settings";
import { productionConfigProblems } from "./production-config";

const good = { AUTH_SECRET: "a".repeat(43), AUTH_URL: "https://keel.example.com", SMTP_URL: "smtp://mail.example.com:587" };

describe("productionConfigProblems", () => {
  it("accepts a secret and a public origin", () => {
    expect(productionConfigProblems(good)).toEqual([]);
  });

  it("names each missing or unsafe setting", () => {
    expect(productionConfigProblems({})).toEqual([expect.stringMatching(/^AUTH_SECRET is not set/), expect.stringMatching(/^AUTH_URL is not set/)]);
    expect(productionConfigProblems({ ...good, AUTH_SECRET: "changeme" })).toEqual([expect.stringMatching(/AUTH_SECRET is shorter than 32/)]);
    expect(productionConfigProblems({ ...good, AUTH_URL: "keel.example.com" })).toEqual([expect.stringMatching(/AUTH_URL must be an http\(s\) URL/)]);
    expect(productionConfigProblems({ ...good, AUTH_URL: "javascript:alert(1)" })).toHaveLength(1);
    expect(productionConfigProblems({ ...good, KEEL_TRUSTED_PROXY_HOPS: "-1", KEEL_MAX_OWNED_WORKSPACES: "lots" })).toEqual([
      expect.stringMatching(/^KEEL_TRUSTED_PROXY_HOPS/),
      expect.stringMatching(/^KEEL_MAX_OWNED_WORKSPACES/),
    ]);
  });

  it("refuses half a single sign-on provider, naming what is missing", () => {
    expect(productionConfigProblems({ ...good, KEEL_OIDC_ISSUER: "https://id.example.com", KEEL_OIDC_CLIENT_ID: "keel" })).toEqual([
      "KEEL_OIDC_ISSUER, KEEL_OIDC_CLIENT_ID are set but KEEL_OIDC_CLIENT_SECRET is not: set all of them, or none",
    ]);
    expect(productionConfigProblems({ ...good, AUTH_GOOGLE_ID: "g", AUTH_GOOGLE_SECRET: "s" })).toEqual([]);
  });

  it("refuses Inngest's Dev Server mode, and an Inngest server whose requests could not be verified", () => {
    expect(productionConfigProblems({ ...good, INNGEST_DEV: "1" })).toEqual([
      expect.stringMatching(/^INNGEST_DEV is set\. Dev Server mode accepts unsigned requests/),
    ]);
    expect(productionConfigProblems({ ...good, INNGEST_DEV: "http://127.0.0.1:8288", INNGEST_SIGNING_KEY: "signkey-prod-00" })).toHaveLength(1);
    expect(productionConfigProblems({ ...good, INNGEST_BASE_URL: "http://inngest.internal:8288" })).toEqual([
      expect.stringMatching(/without INNGEST_SIGNING_KEY/),
    ]);
    expect(productionConfigProblems({ ...good, INNGEST_DEV: "0" })).toEqual([]);
    expect(productionConfigProblems({ ...good, INNGEST_EVENT_KEY: "event-key", INNGEST_SIGNING_KEY: "signkey-prod-00" })).toEqual([]);
  });

  it("starts without mail (verification then off by default), but refuses to require verification with no way to send it", () => {
    const { SMTP_URL: _smtp, ...noMail } = good;
    expect(productionConfigProblems(noMail)).toEqual([]);
    expect(emailVerificationRequired({ ...noMail, NODE_ENV: "production" })).toBe(false);
    expect(emailVerificationRequired({ ...good, NODE_ENV: "production" })).toBe(true);
    expect(productionConfigProblems({ ...noMail, KEEL_REQUIRE_EMAIL_VERIFICATION: "true" })).toEqual([
      expect.stringMatching(/^KEEL_REQUIRE_EMAIL_VERIFICATION is on but no mail server is set/),
    ]);
    expect(productionConfigProblems({ ...noMail, KEEL_REQUIRE_EMAIL_VERIFICATION: "false" })).toEqual([]);
    expect(productionConfigProblems({ ...noMail, SMTP_HOST: "mail.internal", SMTP_PORT: "465" })).toEqual([]);
    expect(productionConfigProblems({ ...good, SMTP_URL: "http://mail.example.com" })).toEqual([expect.stringMatching(/^SMTP_URL must start with smtp/)]);
    expect(productionConfigProblems({ ...noMail, KEEL_REQUIRE_EMAIL_VERIFICATION: "maybe" })).toEqual([
      expect.stringMatching(/^KEEL_REQUIRE_EMAIL_VERIFICATION must be/),
    ]);
  });
});
