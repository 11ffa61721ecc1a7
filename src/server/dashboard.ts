/**
 * The dashboard's routes on the `serve` listener: server-rendered pages (src/server/pages), two
 * inline assets, the live stream, and the actions. Registered as one encapsulated fastify scope,
 * so its form parser, headers and error handler touch nothing else (webhooks keep theirs).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { ObjectId } from "../api/object-id.js";
import { KINDS } from "../api/types.js";
import { DashboardAuth, type DashboardAuthOptions } from "./dashboard-auth.js";
import { DashboardLive } from "./dashboard-live.js";
import { withTimeout } from "./health.js";
import { DASHBOARD_CSS, DASHBOARD_JS } from "./pages/assets.js";
import { automationPage, automationsPage, type PreviewResult } from "./pages/automations.js";
import type { PageDeps } from "./pages/deps.js";
import { eventsPage } from "./pages/events.js";
import { type Html, html } from "./pages/html.js";
import { type PageContext, page } from "./pages/layout.js";
import { overviewPage } from "./pages/overview.js";
import { policiesPage, policyPage } from "./pages/policies.js";
import { repositoriesPage, repositoryPage } from "./pages/repositories.js";

export interface DashboardDeps extends PageDeps {
  auth: DashboardAuthOptions;
  /** Wakes an object now (the daemon's loop). */
  requestSoon(key: ObjectId, delayMs: number): void;
  log(line: string): void;
  /** Change-feed poll period of the live stream. */
  livePollMs?: number;
}

/** A preview clones and runs the setters: bounded in time, one at a time. */
export const PREVIEW_TIMEOUT_MS = 60_000;
const MAX_FORM_BYTES = 16 * 1024;

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
};

const ActionForm = z.object({
  kind: z.enum(KINDS),
  namespace: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
  back: z.string().max(2000).optional(),
  _csrf: z.string().max(200).optional(),
});

type Query = Record<string, string>;

function queryOf(req: FastifyRequest): Query {
  const q = req.query as Record<string, unknown>;
  return Object.fromEntries(Object.entries(q).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** Only a path of ours: `/x`, never `//host` or a scheme. */
function localPath(back: string | undefined): string {
  return back && /^\/(?![/\\])/.test(back) ? back : "/";
}

function sendHtml(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  return reply
    .code(status)
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .send(body.text);
}

export function dashboardRoutes(deps: DashboardDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const auth = new DashboardAuth(deps.store, deps.auth);
    const live = new DashboardLive(deps.store, { pollMs: deps.livePollMs });
    let previewing = false;
    app.addHook("preClose", async () => live.close());
    app.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: MAX_FORM_BYTES },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    app.addHook("onSend", async (_req, reply, payload) => {
      reply.headers(SECURITY_HEADERS);
      return payload;
    });
    app.setErrorHandler((err: { statusCode?: number; message?: string }, req, reply) => {
      const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500)
        deps.log(`dashboard: ${req.method} ${req.url.split("?")[0]}: ${err.message ?? String(err)}`);
      return reply
        .code(status)
        .type("text/plain")
        .send(status === 500 ? "internal error\n" : "bad request\n");
    });

    const refuse = (reply: FastifyReply, v: { status: number; message: string; challenge: boolean }) => {
      if (v.challenge) reply.header("www-authenticate", 'Basic realm="imagectl dashboard", charset="UTF-8"');
      return reply.code(v.status).type("text/plain; charset=utf-8").send(v.message);
    };
    /** Checks access to a view and builds the page context. */
    const viewContext = async (
      req: FastifyRequest,
      reply: FastifyReply,
    ): Promise<PageContext | undefined> => {
      const v = await auth.forView(req.headers);
      if (!v.ok) {
        refuse(reply, v);
        return undefined;
      }
      return {
        now: Date.now(),
        signedIn: v.signedIn,
        actionsEnabled: auth.actionsEnabled,
        csrfToken: auth.csrfToken,
      };
    };
    const notFound = (reply: FastifyReply, ctx: PageContext, what: string) =>
      sendHtml(
        reply,
        page({ title: "Not found", section: "", ctx, body: html`<p>${what} does not exist (any more).</p>` }),
        404,
      );

    const view = (path: string, render: (ctx: PageContext, q: Query) => Promise<Html>) =>
      app.get(path, async (req, reply) => {
        const ctx = await viewContext(req, reply);
        if (ctx) return sendHtml(reply, await render(ctx, queryOf(req)));
      });
    view("/", (ctx, q) => overviewPage(deps, ctx, q));
    view("/repositories", (ctx, q) => repositoriesPage(deps, ctx, q));
    view("/policies", (ctx, q) => policiesPage(deps, ctx, q));
    view("/automations", (ctx, q) => automationsPage(deps, ctx, q));
    view("/events", (ctx, q) => eventsPage(deps, ctx, q));

    type Params = { namespace: string; name: string };
    const objectView = (
      section: string,
      what: string,
      render: (ctx: PageContext, p: Params, q: Query) => Promise<Html | undefined>,
    ) =>
      app.get<{ Params: Params }>(`/${section}/:namespace/:name`, async (req, reply) => {
        const ctx = await viewContext(req, reply);
        if (!ctx) return;
        const body = await render(ctx, req.params, queryOf(req));
        return body
          ? sendHtml(reply, body)
          : notFound(reply, ctx, `${what} ${req.params.namespace}/${req.params.name}`);
      });
    objectView("repositories", "ImageRepository", (ctx, p, q) =>
      repositoryPage(deps, ctx, p.namespace, p.name, q),
    );
    objectView("policies", "ImagePolicy", (ctx, p) => policyPage(deps, ctx, p.namespace, p.name));
    objectView("automations", "ImageUpdateAutomation", (ctx, p) =>
      automationPage(deps, ctx, p.namespace, p.name),
    );

    app.get("/assets/dashboard.css", async (_req, reply) =>
      reply.type("text/css; charset=utf-8").header("cache-control", "max-age=300").send(DASHBOARD_CSS),
    );
    app.get("/assets/dashboard.js", async (_req, reply) =>
      reply.type("text/javascript; charset=utf-8").header("cache-control", "max-age=300").send(DASHBOARD_JS),
    );

    app.get("/live", async (req, reply) => {
      const v = await auth.forView(req.headers);
      if (!v.ok) return refuse(reply, v);
      reply.hijack();
      reply.raw.setHeaders(new Map(Object.entries(SECURITY_HEADERS)));
      if (!(await live.attach(reply.raw)))
        reply.raw.writeHead(503, { "content-type": "text/plain" }).end("too many live pages\n");
    });

    app.get("/login", async (req, reply) => {
      if (!auth.actionsEnabled)
        return reply
          .code(404)
          .type("text/plain")
          .send("no sign-in: serve runs without --dashboard-auth-secret\n");
      if (await auth.signedIn(req.headers)) return reply.redirect("/", 303);
      return refuse(reply, { status: 401, message: "authentication required\n", challenge: true });
    });

    const fromScript = (req: FastifyRequest) => req.headers["x-dashboard-fetch"] === "1";
    /**
     * Auth for an action. The page's script gets no challenge: a browser would hold its request
     * on a password dialog; it shows the message instead, and "Sign in" (/login) asks once.
     */
    const actionAllowed = async (req: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const v = await auth.forAction(req.headers, body._csrf);
      if (v.ok) return true;
      refuse(reply, { ...v, challenge: v.challenge && !fromScript(req) });
      return false;
    };

    app.post<{ Params: { verb: string } }>("/actions/:verb", async (req, reply) => {
      if (!(await actionAllowed(req, reply))) return;
      const verb = req.params.verb;
      if (verb !== "reconcile" && verb !== "suspend" && verb !== "resume")
        return reply.code(404).type("text/plain").send("unknown action\n");
      const form = ActionForm.safeParse(req.body);
      if (!form.success)
        return reply
          .code(400)
          .type("text/plain")
          .send("bad request: kind, namespace and name are required\n");
      const { kind, namespace, name } = form.data;
      const obj = await deps.store.get(kind, namespace, name);
      const id = `${kind} ${namespace}/${name}`;
      if (!obj) return reply.code(404).type("text/plain").send(`${id} not found\n`);
      const now = new Date().toISOString();
      let message: string;
      if (verb === "reconcile") {
        if (obj.spec.suspend)
          return reply.code(409).type("text/plain").send(`${id} is suspended: resume it first\n`);
        await deps.store.requestReconcile(kind, namespace, name, now);
        deps.requestSoon({ kind, namespace, name }, 0);
        message = `Reconcile of ${id} requested.`;
      } else {
        await deps.store.setSuspended(kind, namespace, name, verb === "suspend");
        if (verb === "resume") {
          await deps.store.requestReconcile(kind, namespace, name, now);
          deps.requestSoon({ kind, namespace, name }, 0);
        }
        message = `${id} ${verb === "suspend" ? "suspended" : "resumed"}.`;
      }
      deps.log(`dashboard: ${verb} ${kind}/${namespace}/${name}`);
      if (fromScript(req)) return reply.code(200).type("text/plain; charset=utf-8").send(`${message}\n`);
      return reply.redirect(localPath(form.data.back), 303);
    });

    app.post<{ Params: { namespace: string; name: string } }>(
      "/automations/:namespace/:name/preview",
      async (req, reply) => {
        if (!(await actionAllowed(req, reply))) return;
        const ctx: PageContext = {
          now: Date.now(),
          signedIn: true,
          actionsEnabled: true,
          csrfToken: auth.csrfToken,
        };
        const { namespace, name } = req.params;
        const obj = await deps.store.get("ImageUpdateAutomation", namespace, name);
        if (!obj) return notFound(reply, ctx, `ImageUpdateAutomation ${namespace}/${name}`);
        if (!deps.preview) return reply.code(501).type("text/plain").send("preview is not available\n");
        if (previewing)
          return reply.code(429).type("text/plain").send("a preview is already running, try again shortly\n");
        previewing = true;
        // Free again when the preview itself ends, not when we stop waiting for it.
        const run = deps.preview(namespace, name).finally(() => {
          previewing = false;
        });
        let result: PreviewResult;
        try {
          result = { ok: await withTimeout(run, PREVIEW_TIMEOUT_MS, "the preview") };
        } catch (err) {
          result = { error: err instanceof Error ? err.message : String(err) };
        }
        const body = await automationPage(deps, ctx, namespace, name, result);
        return body
          ? sendHtml(reply, body)
          : notFound(reply, ctx, `ImageUpdateAutomation ${namespace}/${name}`);
      },
    );
  };
}
