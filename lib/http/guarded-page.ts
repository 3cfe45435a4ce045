// The page builders: every page in app/ is `export default tenantPage({ role }, render)`,
// `userPage(render)`, `operatorPage(render)` or `publicPage(render)`, so who may open it is declared
// where it is exported (scripts/eslint/entry-point-guards.mjs fails a page without one). Refusals
// become navigation: sign-in without a session, the workspace list without a membership, a 403 page
// for too small a role, a 404 for operator pages.
import type { ReactNode } from "react";
import { currentUser, type EntryPointGuard, type SignedInUser } from "@/lib/auth/guard";
import type { OperatorContext } from "@/lib/auth/operator";
import { requirePageOperator, requirePageTenant, requirePageUser } from "@/lib/auth/page-guard";
import type { TenantContext } from "@/lib/tenancy/context";

/** What Next.js passes a page: its dynamic segments and its query, both as promises. */
export interface PageProps<Params = Record<string, never>, Search = Record<string, string | string[] | undefined>> {
  params: Promise<Params>;
  searchParams: Promise<Search>;
}

type Render<Context, Props> = (ctx: Context, props: Props) => Promise<ReactNode> | ReactNode;

/** A page of the active workspace, for `role` or higher. */
export function tenantPage<Props = PageProps>(options: EntryPointGuard, render: Render<TenantContext, Props>) {
  return async function TenantPage(props: Props): Promise<ReactNode> {
    return render(await requirePageTenant(options), props);
  };
}

/** A page for a signed-in person, in or outside any workspace (workspace list, own account). */
export function userPage<Props = PageProps>(render: Render<SignedInUser, Props>) {
  return async function UserPage(props: Props): Promise<ReactNode> {
    return render(await requirePageUser(), props);
  };
}

/** A platform operator's page: anyone else is told it does not exist. */
export function operatorPage<Props = PageProps>(render: Render<OperatorContext, Props>) {
  return async function OperatorPage(props: Props): Promise<ReactNode> {
    return render(await requirePageOperator(), props);
  };
}

/**
 * A page anyone may open (sign-in, emailed links): it gets the viewer when one is signed in. Its
 * secrets, if any, come from the URL and are checked by the page's own code.
 */
export function publicPage<Props = PageProps>(render: Render<SignedInUser | null, Props>) {
  return async function PublicPage(props: Props): Promise<ReactNode> {
    return render(await currentUser(), props);
  };
}
