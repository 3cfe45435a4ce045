// The single sign-on settings, from the environment. A provider appears only when its settings are
// all there; with none set (`npm run dev` on a clean clone) sign-in is email and password alone,
// as before. Half a configuration is an error naming what is missing: `npm start` refuses to
// start with one (lib/config/production-config.ts) rather than show a button that fails.
// No Auth.js import here, so the start-up checks can read it cheaply; providers.ts builds the
// Auth.js providers from it.
import { z } from "zod";

type Env = Record<string, string | undefined>;

export type SsoProviderId = "oidc" | "google" | "github" | "microsoft-entra-id";

interface SsoProviderInfo {
  id: SsoProviderId;
  /** The button's label: "Sign in with <name>". */
  name: string;
}

const setting = z.string().trim().min(1).max(2048);
const issuerUrl = z.url({ protocol: /^https?$/ }).max(2048);

interface SsoSettings {
  oidc: { issuer: string; clientId: string; clientSecret: string; name: string } | null;
  google: { clientId: string; clientSecret: string } | null;
  github: { clientId: string; clientSecret: string } | null;
  entra: { clientId: string; clientSecret: string; issuer: string | undefined } | null;
}

/** Reads one group of variables: all unset gives null; some set but not all is an error naming what is missing. */
function group<K extends string>(env: Env, names: Record<K, string>, optional: NoInfer<K>[] = []): Record<K, string | undefined> | null {
  const values = Object.fromEntries(Object.entries<string>(names).map(([key, name]) => [key, env[name]?.trim() || undefined])) as Record<K, string | undefined>;
  const required = (Object.keys(names) as K[]).filter((key) => !optional.includes(key));
  const missing = required.filter((key) => !values[key]);
  if (missing.length === required.length) return null;
  if (missing.length > 0) {
    const set = required.filter((key) => values[key]).map((key) => names[key]);
    throw new Error(
      `${set.join(", ")} ${set.length === 1 ? "is" : "are"} set but ${missing.map((key) => names[key]).join(", ")} ${missing.length === 1 ? "is" : "are"} not: set all of them, or none`,
    );
  }
  return values;
}

export function readSsoSettings(env: Env = process.env): SsoSettings {
  const oidc = group(env, { issuer: "KEEL_OIDC_ISSUER", clientId: "KEEL_OIDC_CLIENT_ID", clientSecret: "KEEL_OIDC_CLIENT_SECRET", name: "KEEL_OIDC_NAME" }, [
    "name",
  ]);
  const google = group(env, { clientId: "AUTH_GOOGLE_ID", clientSecret: "AUTH_GOOGLE_SECRET" });
  const github = group(env, { clientId: "AUTH_GITHUB_ID", clientSecret: "AUTH_GITHUB_SECRET" });
  const entra = group(
    env,
    { clientId: "AUTH_MICROSOFT_ENTRA_ID_ID", clientSecret: "AUTH_MICROSOFT_ENTRA_ID_SECRET", issuer: "AUTH_MICROSOFT_ENTRA_ID_ISSUER" },
    ["issuer"],
  );
  const parsedIssuer = oidc ? issuerUrl.safeParse(oidc.issuer) : null;
  if (parsedIssuer && !parsedIssuer.success) throw new Error(`KEEL_OIDC_ISSUER must be an http(s) URL, not "${oidc!.issuer}"`);
  const text = (value: string | undefined) => setting.parse(value);
  return {
    oidc: oidc
      ? {
          issuer: text(oidc.issuer),
          clientId: text(oidc.clientId),
          clientSecret: text(oidc.clientSecret),
          name: oidc.name ? text(oidc.name).slice(0, 60) : "SSO",
        }
      : null,
    google: google ? { clientId: text(google.clientId), clientSecret: text(google.clientSecret) } : null,
    github: github ? { clientId: text(github.clientId), clientSecret: text(github.clientSecret) } : null,
    entra: entra ? { clientId: text(entra.clientId), clientSecret: text(entra.clientSecret), issuer: entra.issuer } : null,
  };
}

/** The buttons the sign-in page shows, in this order. */
export function configuredSsoProviders(env: Env = process.env): SsoProviderInfo[] {
  const settings = readSsoSettings(env);
  const list: SsoProviderInfo[] = [];
  if (settings.oidc) list.push({ id: "oidc", name: settings.oidc.name });
  if (settings.google) list.push({ id: "google", name: "Google" });
  if (settings.entra) list.push({ id: "microsoft-entra-id", name: "Microsoft" });
  if (settings.github) list.push({ id: "github", name: "GitHub" });
  return list;
}

/** The name the workspace policy and its pages give the deployment's own OIDC provider, or null when there is none. */
export function workspaceSsoProviderName(env: Env = process.env): string | null {
  return readSsoSettings(env).oidc?.name ?? null;
}
