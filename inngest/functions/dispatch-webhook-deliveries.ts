// Every minute: requests the job of each webhook delivery that has none, which are those recorded
// where no job can be requested at once (the meter's soft-limit warning), those whose request
// failed, and those whose job vanished; each gets an event of its own (inngest/webhook-jobs.ts).
import { deliveriesToDispatch, markDispatched } from "@/lib/webhooks/deliveries";
import { inngest } from "../client";
import { deliveryEvents } from "../webhook-jobs";

export const dispatchWebhookDeliveriesEveryMinute = inngest.createFunction(
  { id: "dispatch-webhook-deliveries", name: "Dispatch webhook deliveries", triggers: [{ cron: "* * * * *" }] },
  async ({ step }) => {
    const due = await step.run("find-deliveries-without-a-job", () => deliveriesToDispatch());
    if (due.length === 0) return { requested: 0 };
    await step.sendEvent("request-delivery-jobs", deliveryEvents(due));
    await step.run("note-requested", () => markDispatched(due.map((delivery) => delivery.deliveryId)));
    return { requested: due.length };
  },
);
