// The one Inngest client. Event names are past-tense facts (`document/uploaded`).
import { Inngest } from "inngest";

export const inngest = new Inngest({ id: "keel" });
