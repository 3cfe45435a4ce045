import { getGateway } from "@/lib/ai";
import { modelAliases } from "@/lib/openai-compat/model-aliases";
import { publicModels } from "@/lib/openai-compat/models";
import { withApiKey } from "@/lib/openai-compat/with-api-key";

// GET /api/v1/models: the roles this tenant can call, with the chain each would use now, then the
// aliases (KEEL_MODEL_ALIASES) with the role each stands for.
export const GET = withApiKey(async (_request, principal) => {
  const gateway = getGateway();
  const owner = gateway.offline ? "keel-offline" : "keel";
  const roles = await Promise.all(
    Object.entries(publicModels).map(async ([id, role]) => {
      const chain = await gateway.chainFor(principal.tenantId, role).catch(() => []);
      return { id, role, chain: chain.map((t) => `${t.provider}/${t.model}`) };
    }),
  );
  const chainOf = new Map(roles.map((r) => [r.role, r.chain]));
  const data = [
    ...roles.map(({ id, chain }) => ({ id, object: "model", created: 0, owned_by: owner, keel_chain: chain })),
    ...[...modelAliases()].map(([alias, role]) => ({
      id: alias,
      object: "model",
      created: 0,
      owned_by: owner,
      keel_role: `keel-${role}`,
      keel_chain: chainOf.get(role) ?? [],
    })),
  ];
  return Response.json({ object: "list", data });
});
