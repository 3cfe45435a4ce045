// The one serve() handler for Keel's functions: /api/inngest exposes it when an Inngest server
// runs the jobs, and the local executor calls it in-process otherwise.
import { serve } from "inngest/next";
import { inngest } from "./client";
import { functions } from "./index";

export const inngestHandler = serve({ client: inngest, functions });
