/** The page shell: navigation, the live indicator, the flash line, and the page's main content. */
import { type Html, html } from "./html.js";

export const SECTIONS = [
  ["/", "Overview"],
  ["/repositories", "Repositories"],
  ["/policies", "Policies"],
  ["/automations", "Automations"],
  ["/events", "Events"],
] as const;

export interface PageContext {
  now: number;
  /** The request carries valid credentials. */
  signedIn: boolean;
  /** Actions are possible at all (an auth secret is configured). */
  actionsEnabled: boolean;
  /** Hidden in every action form. */
  csrfToken: string;
  /** A fixed message after a no-script action (never text from the request). */
  flash?: string;
}

export function page(o: { title: string; section: string; ctx: PageContext; body: Html }): Html {
  const nav = SECTIONS.map(
    ([href, label]) =>
      html`<li><a href="${href}"${o.section === href ? html` aria-current="page"` : ""}>${label}</a></li>`,
  );
  const account = !o.ctx.actionsEnabled
    ? html`<span class="account">read-only</span>`
    : o.ctx.signedIn
      ? html`<span class="account">signed in</span>`
      : html`<a class="account" href="/login">Sign in</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} - imagectl</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><nav aria-label="Sections"><a class="brand" href="/">imagectl</a><ul>${nav}</ul>
<span id="live" class="live" aria-live="polite"></span>${account}</nav></header>
<div id="flash" role="status">${o.ctx.flash ?? ""}</div>
<main id="main">
<h1>${o.title}</h1>
${o.body}
</main>
</body>
</html>
`;
}

/** A POST form with one button, for an action on one object. */
export function actionForm(
  ctx: PageContext,
  action: string,
  fields: Record<string, string>,
  label: string,
  describedAs: string,
): Html {
  if (!ctx.actionsEnabled) return html``;
  const hidden = Object.entries({ ...fields, _csrf: ctx.csrfToken }).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  );
  return html`<form class="inline" method="post" action="${action}">${hidden}<button type="submit" aria-label="${describedAs}">${label}</button></form>`;
}

/** Reconcile, and suspend or resume, for one object; `back` is where a no-script browser returns. */
export function objectActions(
  ctx: PageContext,
  obj: { kind: string; metadata: { namespace: string; name: string }; spec: { suspend?: boolean } },
  back: string,
): Html {
  if (!ctx.actionsEnabled) return html``;
  const id = `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
  const fields = { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, back };
  const suspended = obj.spec.suspend === true;
  return html`<span class="actions">${
    suspended ? "" : actionForm(ctx, "/actions/reconcile", fields, "Reconcile", `Reconcile ${id}`)
  } ${
    suspended
      ? actionForm(ctx, "/actions/resume", fields, "Resume", `Resume ${id}`)
      : actionForm(ctx, "/actions/suspend", fields, "Suspend", `Suspend ${id}`)
  }</span>`;
}
