// The messages Keel sends, each as plain text and HTML with the same content. Every value that
// comes from a person (names, workspace names) is escaped in the HTML; links are built by the
// caller from AUTH_URL (appOrigin), never from a request's Host header.
import type { MailMessage } from "./send-mail";

const product = "Keel";

const htmlEscapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => htmlEscapes[c]!);
}

interface Body {
  to: string;
  subject: string;
  greeting: string;
  paragraphs: string[];
  action: { label: string; link: string };
  footer: string;
}

function compose(body: Body): MailMessage {
  const text = [
    body.greeting,
    "",
    ...body.paragraphs.flatMap((p) => [p, ""]),
    `${body.action.label}: ${body.action.link}`,
    "",
    body.footer,
    "",
    `— ${product}`,
  ].join("\n");
  const html = [
    `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#0f172a">`,
    `<p>${escapeHtml(body.greeting)}</p>`,
    ...body.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p><a href="${escapeHtml(body.action.link)}" style="display:inline-block;padding:8px 16px;background:#4338ca;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(body.action.label)}</a></p>`,
    `<p style="font-size:13px;color:#475569">Or paste this link into your browser: ${escapeHtml(body.action.link)}</p>`,
    `<p style="font-size:13px;color:#475569">${escapeHtml(body.footer)}</p>`,
    `<p style="font-size:13px;color:#475569">— ${product}</p>`,
    `</body></html>`,
  ].join("\n");
  return { to: body.to, subject: body.subject, text, html };
}

const minutesLeft = (expiresInMs: number) => Math.round(expiresInMs / 60_000);

export function verifyEmailMessage(input: { to: string; name: string; workspaceName: string | null; link: string; expiresInMs: number }): MailMessage {
  const where = input.workspaceName ? `the workspace "${input.workspaceName}" on ${product}` : product;
  return compose({
    to: input.to,
    subject: `Confirm your email for ${input.workspaceName ?? product}`,
    greeting: `Hello ${input.name},`,
    paragraphs: [`Confirm that this is your email address to finish setting up your account for ${where}.`],
    action: { label: "Confirm your email", link: input.link },
    footer: `The link works once and expires in ${Math.round(input.expiresInMs / 3_600_000)} hours. If you did not sign up, ignore this message.`,
  });
}

export function resetPasswordMessage(input: { to: string; name: string; workspaceName: string | null; link: string; expiresInMs: number }): MailMessage {
  return compose({
    to: input.to,
    subject: `Reset your ${product} password`,
    greeting: `Hello ${input.name},`,
    paragraphs: [
      `Someone asked to reset the password of your ${product} account${input.workspaceName ? ` (workspace "${input.workspaceName}")` : ""}.`,
      "Choosing a new password signs you out on every other device.",
    ],
    action: { label: "Choose a new password", link: input.link },
    footer: `The link works once and expires in ${minutesLeft(input.expiresInMs)} minutes. If you did not ask for this, ignore this message: your password stays as it is.`,
  });
}

export function changeEmailMessage(input: { to: string; name: string; workspaceName: string | null; link: string; expiresInMs: number }): MailMessage {
  return compose({
    to: input.to,
    subject: `Confirm your new email address for ${product}`,
    greeting: `Hello ${input.name},`,
    paragraphs: [
      `You asked to sign in to ${product}${input.workspaceName ? ` (workspace "${input.workspaceName}")` : ""} with this address from now on. Nothing changes until you confirm.`,
    ],
    action: { label: "Confirm the new address", link: input.link },
    footer: `The link works once and expires in ${minutesLeft(input.expiresInMs)} minutes. If you did not ask for this, ignore this message.`,
  });
}

export function invitationMessage(input: { to: string; inviterName: string; workspaceName: string; role: string; link: string; expiresAt: Date }): MailMessage {
  return compose({
    to: input.to,
    subject: `${input.inviterName} invited you to ${input.workspaceName} on ${product}`,
    greeting: "Hello,",
    paragraphs: [`${input.inviterName} invited you to join the workspace "${input.workspaceName}" on ${product} as ${input.role}.`],
    action: { label: `Join ${input.workspaceName}`, link: input.link },
    footer: `The invitation works once and expires on ${input.expiresAt.toISOString().slice(0, 10)}. If you did not expect it, ignore this message.`,
  });
}
