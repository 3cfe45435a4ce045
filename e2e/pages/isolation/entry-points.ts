// The isolation matrix's entry points, read from the production build (every page and route in
// .next/server/app-paths-manifest.json, every server action id in .next/server/server-reference-manifest.json)
// with each route's exported methods read from its source, and how each is called with tenant A's
// ids in every channel. A page or route whose dynamic segments the matrix cannot fill, a route
// without a method it can read, or a server action without a case here is returned as unknown:
// the spec fails naming it, so a new entry point joins the matrix or fails it.
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { actionRequest, formData, type Caller, type Outgoing } from "./http-calls";

/** Tenant A's ids: every channel of every call carries them. */
export interface TenantIds {
  tenantId: string;
  userId: string;
  sessionId: string;
  documentId: string;
  collectionId: string;
  conversationId: string;
  answerId: string;
  jobId: string;
  exportJobId: string;
  apiKeyId: string;
  invitationId: string;
  noticeId: string;
  notificationId: string;
  responseId: string;
}

export interface MatrixCall {
  /** `page /documents/[id] → /documents/…`, `POST /api/members`, `action app/…/actions.ts#askAction`. */
  name: string;
  request: Outgoing;
  /** Session enders (sign out, delete the account) run after every other call. */
  last?: boolean;
}

export interface Matrix {
  calls: MatrixCall[];
  /** Entry points the matrix has no case for, by name. */
  unknown: string[];
  /** How many pages, route methods and actions the build has. */
  counts: { pages: number; routeMethods: number; actions: number };
}

const appPathsSchema = z.record(z.string(), z.string());
const actionManifestSchema = z.object({
  node: z.record(z.string(), z.object({ workers: z.record(z.string(), z.unknown()), filename: z.string(), exportedName: z.string() })),
});

const httpMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** `/(app)/documents/[id]/page` → `/documents/[id]`: the URL pattern, route groups dropped. */
function urlPattern(manifestKey: string): string {
  const path = manifestKey
    .replace(/\/(page|route)$/, "")
    .split("/")
    .filter((segment) => !/^\(.*\)$/.test(segment))
    .join("/");
  return path === "" ? "/" : path;
}

/** The concrete paths for a URL pattern, with A's ids in its dynamic segments; null when the matrix does not know it. */
function pathsFor(pattern: string, ids: TenantIds): string[] | null {
  if (!pattern.includes("[")) return [pattern];
  const token = "k".repeat(43);
  const known: Record<string, string[]> = {
    "/chat/[[...id]]": [`/chat/${ids.conversationId}`, `/chat/${ids.answerId}`, `/chat/${ids.conversationId}/${ids.answerId}`],
    "/documents/[id]": [`/documents/${ids.documentId}`, `/documents/${ids.collectionId}`],
    "/invite/[tenantId]/[token]": [`/invite/${ids.tenantId}/${token}`, `/invite/${ids.tenantId}/${ids.invitationId}`],
    // Account links carry a secret that is mailed, never stored readable: any value is a guess.
    "/confirm-email/[token]": [`/confirm-email/${token}`],
    "/reset-password/[token]": [`/reset-password/${token}`],
    "/verify-email/[token]": [`/verify-email/${token}`],
    "/dev/outbox/[id]": [`/dev/outbox/${ids.notificationId}`],
    "/api/documents/[id]/original": [`/api/documents/${ids.documentId}/original`],
    "/api/documents/[id]/preview": [`/api/documents/${ids.documentId}/preview`],
    "/api/exports/[id]": [`/api/exports/${ids.exportJobId}`],
    // The period is not an id: B asking for this month's invoice gets B's own.
    "/api/billing/[period]/csv": [`/api/billing/${new Date().toISOString().slice(0, 7)}/csv`],
    "/api/auth/[...nextauth]": ["/api/auth/session", "/api/auth/providers", "/api/auth/csrf", `/api/auth/callback/credentials`],
    "/api/v1/[...path]": [`/api/v1/files/${ids.documentId}`, `/api/v1/responses/${ids.responseId}`, `/api/v1/chat/completions/${ids.conversationId}`],
  };
  return known[pattern] ?? null;
}

/** A's ids in the query string, under every name an entry point could read one from. */
function idQuery(ids: TenantIds): string {
  const params = new URLSearchParams({ ...ids, id: ids.documentId, tenant: ids.tenantId, workspace: ids.tenantId, scope: "workspace" });
  return params.toString();
}

/** A's ids in headers and cookies a multi-tenant app might read the tenant from, beside B's own session. */
function idHeaders(ids: TenantIds, caller: Caller): Record<string, string> {
  return {
    cookie: `${caller.cookie}; keel-tenant=${ids.tenantId}; tenantId=${ids.tenantId}; workspace=${ids.tenantId}`,
    "x-tenant-id": ids.tenantId,
    "x-keel-tenant": ids.tenantId,
    "x-workspace-id": ids.tenantId,
    "x-user-id": ids.userId,
    "x-file-name": encodeURIComponent(`${ids.documentId}.txt`),
  };
}

/** Every form field any Keel action reads, with A's ids where it takes an id; other fields plausible, secrets wrong. */
function idForm(ids: TenantIds): Record<string, string> {
  return {
    ...ids,
    messageId: ids.answerId,
    passkeyId: ids.apiKeyId,
    name: "Renamed by the other tenant",
    title: "Renamed by the other tenant",
    workspaceName: "Made by the other tenant",
    role: "owner",
    plan: "enterprise",
    email: `intruder-${crypto.randomUUID().slice(0, 8)}@example.test`,
    password: "a-wrong-password-1",
    currentPassword: "a-wrong-password-1",
    newPassword: "another-password-2",
    confirmName: "Alpha",
    token: "k".repeat(43),
    code: "000000",
    proof: "000000",
    providerId: "oidc",
    callbackUrl: `/chat/${ids.conversationId}`,
    correction: "A correction from the other tenant",
    required: "on",
    mode: "some",
    from: "page",
  };
}

/** JSON bodies carry the same ids as the form. */
function idJson(ids: TenantIds): string {
  return JSON.stringify({ ...idForm(ids), ids: Object.values(ids), collectionIds: [ids.collectionId], documentIds: [ids.documentId] });
}

type ActionCase = { kind: "form"; last?: boolean } | { kind: "args"; args: (ids: TenantIds) => unknown[]; last?: boolean };

/**
 * Every server action, by `file#export`. `form` actions take `(previousState, FormData)` (or just the
 * FormData: the public form actions) and get every id field at once; chat's actions take arguments.
 */
const actionCases: Record<string, ActionCase> = {
  "app/(app)/chat/actions.ts#askAction": {
    kind: "args",
    args: (ids) => [ids.conversationId, { kind: "regenerate" }, { collectionIds: [ids.collectionId] }],
  },
  "app/(app)/chat/actions.ts#followAnswerAction": { kind: "args", args: (ids) => [ids.answerId] },
  "app/(app)/chat/actions.ts#stopAnswerAction": { kind: "args", args: (ids) => [ids.answerId] },
  "app/(app)/chat/actions.ts#rateAnswerAction": { kind: "args", args: (ids) => [ids.answerId, -1] },
  "app/(app)/chat/actions.ts#setGroundingAction": {
    kind: "args",
    args: (ids) => [{ conversationId: ids.conversationId, mode: "some", collectionIds: [ids.collectionId] }],
  },
  "app/(app)/chat/actions.ts#correctAnswerAction": { kind: "form" },
  "app/(app)/chat/actions.ts#renameConversationAction": { kind: "form" },
  "app/(app)/chat/actions.ts#deleteConversationAction": { kind: "form" },
  "app/(app)/documents/actions.ts#reanalyzeDocumentAction": { kind: "form" },
  "app/(app)/documents/actions.ts#cancelAnalysisAction": { kind: "form" },
  "app/(app)/documents/actions.ts#deleteDocumentAction": { kind: "form" },
  "app/(app)/documents/actions.ts#markNotificationsReadAction": { kind: "form" },
  "app/(app)/documents/actions.ts#createCollectionAction": { kind: "form" },
  "app/(app)/documents/actions.ts#renameCollectionAction": { kind: "form" },
  "app/(app)/documents/actions.ts#deleteCollectionAction": { kind: "form" },
  "app/(app)/documents/actions.ts#moveDocumentAction": { kind: "form" },
  "app/(app)/members/actions.ts#createInvitationAction": { kind: "form" },
  "app/(app)/members/actions.ts#resendInvitationAction": { kind: "form" },
  "app/(app)/members/actions.ts#revokeInvitationAction": { kind: "form" },
  "app/(app)/members/actions.ts#changeRoleAction": { kind: "form" },
  "app/(app)/members/actions.ts#removeMemberAction": { kind: "form" },
  "app/(app)/settings/actions.ts#renameTenantAction": { kind: "form" },
  "app/(app)/settings/actions.ts#updateAiSettingsAction": { kind: "form" },
  "app/(app)/settings/actions.ts#updateRateLimitsAction": { kind: "form" },
  "app/(app)/settings/actions.ts#rotateWebhookSecretAction": { kind: "form" },
  "app/(app)/settings/actions.ts#createApiKeyAction": { kind: "form" },
  "app/(app)/settings/actions.ts#revokeApiKeyAction": { kind: "form" },
  "app/(app)/settings/actions.ts#dismissNoticeAction": { kind: "form" },
  "app/(app)/settings/actions.ts#startReembedAction": { kind: "form" },
  "app/(app)/settings/actions.ts#rollbackReembedAction": { kind: "form" },
  "app/(app)/settings/actions.ts#updateSsoPolicyAction": { kind: "form" },
  "app/(app)/settings/actions.ts#setTwoFactorRequirementAction": { kind: "form" },
  "app/(app)/settings/leaving-actions.ts#exportWorkspaceAction": { kind: "form" },
  "app/(app)/settings/leaving-actions.ts#deleteWorkspaceAction": { kind: "form", last: true },
  "app/(app)/actions.ts#switchTenantAction": { kind: "form" },
  "app/(app)/actions.ts#createWorkspaceAction": { kind: "form" },
  "app/(app)/actions.ts#signOutAction": { kind: "form", last: true },
  "app/(app)/account/actions.ts#changePasswordAction": { kind: "form" },
  "app/(app)/account/actions.ts#changeEmailAction": { kind: "form" },
  "app/(app)/account/actions.ts#signOutSessionAction": { kind: "form", last: true },
  "app/(app)/account/actions.ts#signOutOtherSessionsAction": { kind: "form", last: true },
  "app/(app)/account/delete-account-action.ts#deleteAccountAction": { kind: "form", last: true },
  "app/(app)/account/two-factor-actions.ts#startTotpSetupAction": { kind: "form" },
  "app/(app)/account/two-factor-actions.ts#confirmTotpSetupAction": { kind: "form" },
  "app/(app)/account/two-factor-actions.ts#turnOffTotpAction": { kind: "form" },
  "app/(app)/account/two-factor-actions.ts#regenerateRecoveryCodesAction": { kind: "form" },
  "app/(app)/account/two-factor-actions.ts#startPasskeyRegistrationAction": { kind: "form" },
  "app/(app)/account/two-factor-actions.ts#finishPasskeyRegistrationAction": { kind: "form" },
  "app/(app)/account/two-factor-actions.ts#removePasskeyAction": { kind: "form" },
  "app/(auth)/actions.ts#signInAction": { kind: "form" },
  "app/(auth)/actions.ts#signUpAction": { kind: "form" },
  "app/(auth)/actions.ts#resendVerificationAction": { kind: "form" },
  "app/(auth)/actions.ts#verifyEmailAction": { kind: "form" },
  "app/(auth)/actions.ts#forgotPasswordAction": { kind: "form" },
  "app/(auth)/actions.ts#resetPasswordAction": { kind: "form" },
  "app/(auth)/actions.ts#confirmEmailChangeAction": { kind: "form" },
  "app/(auth)/two-factor/actions.ts#secondStepCodeAction": { kind: "form" },
  "app/(auth)/two-factor/actions.ts#secondStepPasskeyOptionsAction": { kind: "form" },
  "app/(auth)/two-factor/actions.ts#secondStepPasskeyAction": { kind: "form" },
  "app/(auth)/two-factor/actions.ts#passkeySignInOptionsAction": { kind: "form" },
  "app/(auth)/two-factor/actions.ts#passkeySignInAction": { kind: "form" },
  "app/(auth)/sso-actions.ts#startSsoAction": { kind: "form" },
  "app/invite/[tenantId]/[token]/actions.ts#acceptInvitationAction": { kind: "form" },
  "app/invite/[tenantId]/[token]/actions.ts#signUpAndJoinAction": { kind: "form" },
  "app/operator/actions.ts#changeTenantPlanAction": { kind: "form" },
  "app/scheduled-for-deletion/actions.ts#restoreWorkspaceAction": { kind: "form" },
};

/** Public form actions take the FormData alone (no previous state). */
const formOnlyActions = new Set(["app/(app)/actions.ts#signOutAction"]);

/** What /api/v1 is sent: B's key, A's ids in the body wherever the API takes one (one body per variant). */
function apiV1Bodies(path: string, ids: TenantIds): string[] {
  if (path.endsWith("/responses"))
    return [JSON.stringify({ model: "keel-chat", input: `About ${ids.documentId}`, previous_response_id: ids.responseId, store: true, user: ids.userId })];
  if (path.endsWith("/embeddings")) return [JSON.stringify({ model: "keel-embedding", input: [ids.documentId, ids.collectionId] })];
  const question = { role: "user", content: `What is the north turbine code? (${ids.documentId})` };
  return [
    // A's collection named outright, and a grounded question that A's document answers but B's cannot.
    JSON.stringify({ model: "keel-rag", messages: [question], keel: { collection_ids: [ids.collectionId] }, user: ids.userId }),
    JSON.stringify({ model: "keel-rag", messages: [question] }),
  ];
}

function routeCalls(pattern: string, method: string, ids: TenantIds, caller: Caller): MatrixCall[] | null {
  const paths = pathsFor(pattern, ids);
  if (!paths) return null;
  return paths.flatMap((path) => {
    const headers = idHeaders(ids, caller);
    const isApiV1 = path.startsWith("/api/v1/");
    if (isApiV1) headers.authorization = `Bearer ${caller.apiKey}`;
    const hasBody = !["GET", "HEAD", "OPTIONS"].includes(method);
    if (hasBody) headers["content-type"] = "application/json";
    const bodies = !hasBody ? [undefined] : isApiV1 ? apiV1Bodies(path, ids) : [idJson(ids)];
    return bodies.map((body, variant) => ({
      name: `${method} ${pattern}${path === pattern ? "" : ` → ${path}`}${variant > 0 ? ` (variant ${variant + 1})` : ""}`,
      request: {
        method,
        path: `${path}?${idQuery(ids)}`,
        headers,
        body,
        // Live updates stream until the caller leaves: listen long enough for a leaked event to arrive.
        readForMs: pattern === "/api/live" ? 3_000 : undefined,
      },
    }));
  });
}

/** Which methods a route file exports (`export const GET = …`, `export { x as POST }`, `export async function PUT`). */
function exportedMethods(sourceFile: string): string[] {
  const source = readFileSync(sourceFile, "utf8");
  return httpMethods.filter((method) => new RegExp(`export\\s+(const|async\\s+function|function)\\s+${method}\\b|\\bas\\s+${method}\\b`).test(source));
}

function readActionManifest() {
  return actionManifestSchema.parse(JSON.parse(readFileSync(".next/server/server-reference-manifest.json", "utf8")));
}

/** The id of a server action (`file#export`) in this build. */
export function actionIdOf(action: string): string {
  const found = Object.entries(readActionManifest().node).find(([, entry]) => `${entry.filename}#${entry.exportedName}` === action);
  if (!found) throw new Error(`${action} is not in the build's server-reference manifest`);
  return found[0];
}

/** Reads the build's manifests (run from the repository root, after `npm run build`). */
export function buildMatrix(ids: TenantIds, caller: Caller, baseUrl: string): Matrix {
  const appPaths = appPathsSchema.parse(JSON.parse(readFileSync(".next/server/app-paths-manifest.json", "utf8")));
  const actions = readActionManifest();
  const calls: MatrixCall[] = [];
  const unknown: string[] = [];
  let pages = 0;
  let routeMethods = 0;
  for (const key of Object.keys(appPaths).sort()) {
    // Next.js's own entries (the not-found page, metadata images) are not Keel's entry points.
    if (key.startsWith("/_")) continue;
    const pattern = urlPattern(key);
    if (key.endsWith("/page")) {
      pages += 1;
      const paths = pathsFor(pattern, ids);
      if (!paths) unknown.push(`page ${pattern}`);
      for (const path of paths ?? [])
        calls.push({
          name: `page ${pattern}${path === pattern ? "" : ` → ${path}`}`,
          request: { method: "GET", path: `${path}?${idQuery(ids)}`, headers: idHeaders(ids, caller) },
        });
      continue;
    }
    const sourceFile = ["ts", "tsx", "js"].map((ext) => `app${key}.${ext}`).find((file) => existsSync(file));
    // A metadata file (app/icon.svg) is served as a route of its own that answers GET.
    const metadataFile = existsSync(`app${pattern}`);
    const methods = sourceFile ? exportedMethods(sourceFile) : metadataFile ? ["GET"] : [];
    if (methods.length === 0) unknown.push(`route ${pattern} (no method read from app${key}.ts)`);
    for (const method of methods) {
      routeMethods += 1;
      const routeCallsFor = routeCalls(pattern, method, ids, caller);
      if (!routeCallsFor) unknown.push(`${method} ${pattern}`);
      calls.push(...(routeCallsFor ?? []));
    }
  }
  const pageOf = (worker: string) => urlPattern(worker.replace(/^app/, ""));
  for (const [actionId, entry] of Object.entries(actions.node)) {
    const name = `${entry.filename}#${entry.exportedName}`;
    const actionCase = actionCases[name];
    const page = Object.keys(entry.workers).find((worker) => worker.endsWith("/page"));
    const path = page ? pathsFor(pageOf(page), ids)?.[0] : undefined;
    if (!actionCase || !path) {
      unknown.push(`action ${name}${path ? "" : " (no page to post it to)"}`);
      continue;
    }
    const args =
      actionCase.kind === "args" ? actionCase.args(ids) : formOnlyActions.has(name) ? [formData(idForm(ids))] : [{ ok: true }, formData(idForm(ids))];
    const request = actionRequest(baseUrl, `${path}?${idQuery(ids)}`, actionId, args, idHeaders(ids, caller));
    calls.push({ name: `action ${name}`, request: { ...request, readForMs: 2_500 }, last: actionCase.last });
  }
  return { calls, unknown, counts: { pages, routeMethods, actions: Object.keys(actions.node).length } };
}
