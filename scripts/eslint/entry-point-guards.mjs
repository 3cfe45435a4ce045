// ESLint rule: every entry point in app/ declares who may call it through one of Keel's guard
// builders (issue 20.2), so a page, route or action without a guard fails `npm run lint`.
//   page.tsx        export default tenantPage({ role }, …) | userPage(…) | operatorPage(…) | publicPage(…)
//   route.ts        export const GET = withTenantRoute(…, { role }) | withApiKey(…) | publicRoute(reason, …)
//   "use server"    export const x = tenantAction(…) | userAction | operatorAction | publicAction | publicFormAction | chatAction(…)
const pageBuilders = new Set(["tenantPage", "userPage", "operatorPage", "publicPage"]);
const routeBuilders = new Set(["withTenantRoute", "withApiKey", "publicRoute"]);
const actionBuilders = new Set(["tenantAction", "userAction", "operatorAction", "publicAction", "publicFormAction", "chatAction"]);
const httpMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

const list = (names) => [...names].join(", ");
const builderOf = (node) => (node?.type === "CallExpression" && node.callee.type === "Identifier" ? node.callee.name : null);

function kindOf(filename, program) {
  const path = filename.replaceAll("\\", "/");
  if (!/(^|\/)app\//.test(path)) return null;
  if (/\/page\.tsx?$/.test(path)) return "page";
  if (/\/route\.tsx?$/.test(path)) return "route";
  const first = program.body[0];
  if (first?.type === "ExpressionStatement" && first.directive === "use server") return "actions";
  return null;
}

/** @type {import("eslint").Rule.RuleModule} */
export const entryPointGuards = {
  meta: {
    type: "problem",
    docs: { description: "Every page, route handler and server action in app/ is built by a guard builder that declares its role." },
    messages: {
      page: `A page's default export must be one of ${list(pageBuilders)} (lib/http/guarded-page.ts).`,
      route: `Export each HTTP method as one of ${list(routeBuilders)}(…) (lib/http/guarded-route.ts, lib/http/public-route.ts, lib/openai-compat/with-api-key.ts).`,
      action: `A "use server" file exports only actions built by ${list(actionBuilders)} (lib/http/tenant-action.ts, lib/http/chat-action.ts).`,
    },
    schema: [],
  },
  create(context) {
    const kind = kindOf(context.filename, context.sourceCode.ast);
    if (!kind) return {};
    const checkDeclarators = (declaration, isEntry, builders, messageId) => {
      for (const declarator of declaration.declarations) {
        if (declarator.id.type !== "Identifier") {
          context.report({ node: declarator, messageId });
          continue;
        }
        if (isEntry(declarator.id.name) && !builders.has(builderOf(declarator.init))) context.report({ node: declarator, messageId });
      }
    };
    return {
      ExportDefaultDeclaration(node) {
        if (kind === "page" && !pageBuilders.has(builderOf(node.declaration))) context.report({ node, messageId: "page" });
        if (kind === "actions") context.report({ node, messageId: "action" });
      },
      ExportNamedDeclaration(node) {
        const declaration = node.declaration;
        if (kind === "route") {
          if (!declaration) {
            if (node.specifiers.some((s) => httpMethods.has(s.exported.name))) context.report({ node, messageId: "route" });
            return;
          }
          if (declaration.type === "FunctionDeclaration" && httpMethods.has(declaration.id?.name)) context.report({ node, messageId: "route" });
          if (declaration.type === "VariableDeclaration") checkDeclarators(declaration, (name) => httpMethods.has(name), routeBuilders, "route");
        }
        if (kind === "actions") {
          if (!declaration) return node.exportKind === "type" ? undefined : context.report({ node, messageId: "action" });
          if (declaration.type === "FunctionDeclaration") return context.report({ node, messageId: "action" });
          if (declaration.type === "VariableDeclaration") checkDeclarators(declaration, () => true, actionBuilders, "action");
        }
      },
    };
  },
};

const plugin = { rules: { "entry-point-guards": entryPointGuards } };
export default plugin;
