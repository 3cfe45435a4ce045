// Which single sign-on providers the environment configures: none by default, each only when all
// its settings are there, and half a configuration refused with what is missing.
import { describe, expect, it } from "vitest";
import { ssoProviders } from "./providers";
import { configuredSsoProviders, workspaceSsoProviderName } from "./sso-settings";

describe("SSO providers from the environment", () => {
  it("offers none when nothing is set, so a clean `npm run dev` signs in with a password only", () => {
    expect(configuredSsoProviders({})).toEqual([]);
    expect(ssoProviders({})).toEqual([]);
    expect(workspaceSsoProviderName({})).toBeNull();
  });

  it("offers each configured provider, the generic OIDC one first under its own name", () => {
    const env = {
      KEEL_OIDC_ISSUER: "http://127.0.0.1:9400",
      KEEL_OIDC_CLIENT_ID: "keel",
      KEEL_OIDC_CLIENT_SECRET: "s3cret",
      KEEL_OIDC_NAME: "Acme SSO",
      AUTH_GOOGLE_ID: "g",
      AUTH_GOOGLE_SECRET: "gs",
      AUTH_GITHUB_ID: "h",
      AUTH_GITHUB_SECRET: "hs",
      AUTH_MICROSOFT_ENTRA_ID_ID: "m",
      AUTH_MICROSOFT_ENTRA_ID_SECRET: "ms",
    };
    expect(configuredSsoProviders(env).map((p) => `${p.id}:${p.name}`)).toEqual([
      "oidc:Acme SSO",
      "google:Google",
      "microsoft-entra-id:Microsoft",
      "github:GitHub",
    ]);
    const providers = ssoProviders(env) as Array<{ id?: string; issuer?: string; idToken?: boolean }>;
    expect(providers).toHaveLength(4);
    expect(providers[0]).toMatchObject({ id: "oidc", issuer: "http://127.0.0.1:9400", idToken: false });
    expect(workspaceSsoProviderName(env)).toBe("Acme SSO");
    expect(configuredSsoProviders({ ...env, KEEL_OIDC_NAME: "" })[0]).toEqual({ id: "oidc", name: "SSO" });
  });

  it("refuses half a configuration, naming what is missing", () => {
    expect(() => configuredSsoProviders({ KEEL_OIDC_ISSUER: "https://id.example.test" })).toThrow(
      "KEEL_OIDC_ISSUER is set but KEEL_OIDC_CLIENT_ID, KEEL_OIDC_CLIENT_SECRET are not: set all of them, or none",
    );
    expect(() => configuredSsoProviders({ AUTH_GITHUB_SECRET: "x" })).toThrow("AUTH_GITHUB_SECRET is set but AUTH_GITHUB_ID is not");
    expect(() => configuredSsoProviders({ KEEL_OIDC_ISSUER: "ftp://x", KEEL_OIDC_CLIENT_ID: "a", KEEL_OIDC_CLIENT_SECRET: "b" })).toThrow(
      "must be an http(s) URL",
    );
  });
});
