// The current request's client address (lib/auth/client-ip.ts), for server actions.
import { headers } from "next/headers";
import { clientIp } from "@/lib/auth/client-ip";

export async function requestClientAddress(): Promise<string | null> {
  return clientIp(await headers());
}
