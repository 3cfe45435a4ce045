// A webhook receiver on loopback for the tests of signed deliveries: records each request and
// answers what the test scripts (a status, headers, or a hang). Loopback is refused by the delivery
// rules; the tests let it through with the test-only `allowAddress` hook.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { updateAiSettings } from "@/lib/ai/ai-settings";
import type { ResolvedAddress } from "@/lib/webhooks/webhook-target";
import { createTenant } from "./fixtures";

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** `closed` settles when the request's connection closes (a hung request: when the sender gives up). */
type WebhookReply = (path: string, closed: Promise<void>) => { status: number; headers?: Record<string, string> } | "hang";

export interface WebhookReceiver {
  port: number;
  received: ReceivedWebhook[];
  /** What the next requests get; `reset()` sets it back to 204. */
  reply: WebhookReply;
  reset(): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    port: 0,
    received: [],
    reply: () => ({ status: 204 }),
    reset() {
      receiver.received.length = 0;
      receiver.reply = () => ({ status: 204 });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      receiver.received.push({ path: request.url ?? "", headers: request.headers, body });
      const closed = new Promise<void>((resolve) => response.once("close", () => resolve()));
      const answer = receiver.reply(request.url ?? "", closed);
      if (answer === "hang") return;
      response.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.port = (server.address() as AddressInfo).port;
  return receiver;
}

/** What a receiver does with the `standardwebhooks` library: verify the delivery, or throw. */
export function verifyDelivery(secret: string, delivery: Pick<ReceivedWebhook, "headers" | "body">): unknown {
  const headers = Object.fromEntries(Object.entries(delivery.headers).map(([name, value]) => [name, String(value)]));
  return new Webhook(secret).verify(delivery.body, headers);
}

/** A resolver that turns any name into `address`, as the delivery rules will then see it. */
const resolvesTo = (address: string) => async (): Promise<ResolvedAddress[]> => [{ address, family: address.includes(":") ? 6 : 4 }];

/** Delivery options that let a test's deliveries reach the receiver on loopback (refused otherwise). */
export const toLoopbackReceiver = { resolveHost: resolvesTo("127.0.0.1"), allowAddress: (address: string) => address === "127.0.0.1", allowHttp: true };

/** A new workspace whose webhook, a name only the tests resolve, points at `path` on the receiver. */
export async function tenantWithWebhook(name: string, receiver: Pick<WebhookReceiver, "port">, path: string) {
  const owner = await createTenant(name);
  const { webhookSecret } = await updateAiSettings(
    owner,
    {
      monthlyTokenLimit: null,
      monthlyUsdLimit: null,
      memberMonthlyTokenCap: null,
      softLimitPercent: 80,
      downgradeAtSoftLimit: false,
      warningWebhookUrl: `http://hooks.keel.test:${receiver.port}${path}`,
    },
    { resolveHost: resolvesTo("93.184.215.14"), allowHttp: true },
  );
  return { owner, secret: webhookSecret! };
}
