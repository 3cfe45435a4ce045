// Who Keel is to an authenticator: the relying party id (the host name) and the origin a passkey
// ceremony must come from. From AUTH_URL, the public origin production requires; in development
// without it, from the request's own host (lib/http/origin.ts). A passkey is bound to the host
// name: one made on localhost does not sign in on 127.0.0.1, nor on another domain.
import { publicOrigin } from "@/lib/http/origin";

interface RelyingParty {
  id: string;
  name: string;
  origin: string;
}

export async function relyingParty(): Promise<RelyingParty> {
  const origin = new URL(await publicOrigin()).origin;
  return { id: new URL(origin).hostname, name: "Keel", origin };
}
