import { getGateway } from "@/lib/ai";
import { publicModels } from "@/lib/openai-compat/models";
import { withApiKey } from "@/lib/openai-compat/with-api-key";

// GET /api/v1/models: the roles this tenant can call, with the chain each would use now.
export const GET = withApiKey(async (_request, principal) => {
  const gateway = getGateway();
  const data = await Promise.all(
    Object.entries(publicModels).map(async ([id, role]) => {
      const chain = await gateway.chainFor(principal.tenantId, role).catch(() => []);
      return { id, object: "model", created: 0, owned_by: gateway.offline ? "keel-offline" : "keel", keel_chain: chain.map((t) => `${t.provider}/${t.model}`) };
    }),
  );
  return Response.json({ object: "list", data });
});
