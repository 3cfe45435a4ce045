// A thrown error as the JSON answer of a route handler: a KeelError with its status and message,
// anything else as a 500 that shows nothing of the cause (which is logged).
import { NextResponse } from "next/server";
import { isKeelError } from "@/lib/errors";
import { log } from "@/core/log";

export function errorResponse(error: unknown): NextResponse {
  if (isKeelError(error)) {
    return NextResponse.json({ error: { code: error.code, message: error.message } }, { status: error.status });
  }
  log.error({ err: error }, "route handler failed");
  return NextResponse.json({ error: { code: "internal", message: "Something went wrong on our side. Please try again." } }, { status: 500 });
}
