/**
 * Checks requests against operations vendored from a forge's published API description
 * (test/fixtures/forge-openapi/), for the loopback forges of the bootstrap and pull-request tests:
 * the method and path must be an operation there; path and query parameters must be declared,
 * typed as declared and within their enums, required ones present; a JSON body must satisfy the
 * operation's schema (ajv, with `$ref`s into the description's definitions). With `closedBodies`,
 * one rule stricter than the descriptions: a body property the schema does not list is reported,
 * so that a client sending `initializeWithReadme` for `initialize_with_readme` cannot pass
 * unnoticed. Not for the merge-request excerpt: GitLab's generated description omits
 * `description`, which its REST documentation lists and imagectl sends.
 */
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  type?: string;
  enum?: Json[];
  schema?: { type?: string; enum?: Json[] } & Record<string, Json>;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema: Record<string, Json> }> };
  /** Kept in some excerpts: the success codes a test server may answer. */
  responses?: Record<string, unknown>;
}

interface Description {
  basePath?: string;
  paths: Record<string, Record<string, Operation>>;
  definitions?: Record<string, Json>;
}

export interface MatchedOperation {
  operationId: string;
  /** `METHOD /path/{template}` for messages. */
  where: string;
  params: Record<string, string>;
}

interface Route {
  method: string;
  template: string;
  op: Operation;
  names: string[];
  re: RegExp;
}

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });

/**
 * The schema with `$ref`s to definitions inlined and, when `close`, every object schema that lists
 * properties refusing others (see the opening comment).
 */
function resolved(schema: Json, definitions: Record<string, Json>, close: boolean): Json {
  const inner = (s: Json): Json => resolved(s, definitions, close);
  if (Array.isArray(schema)) return schema.map(inner);
  if (schema === null || typeof schema !== "object") return schema;
  const ref = schema.$ref;
  if (typeof ref === "string" && ref.startsWith("#/definitions/"))
    return inner(definitions[ref.slice("#/definitions/".length)] ?? {});
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(schema))
    out[k] =
      k === "properties" && v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).map(([n, s]) => [n, inner(s)]))
        : inner(v);
  if (close && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function typeOk(type: string | undefined, value: string): boolean {
  if (type === "integer") return /^-?\d+$/.test(value);
  if (type === "number") return value.trim() !== "" && !Number.isNaN(Number(value));
  if (type === "boolean") return value === "true" || value === "false";
  return true;
}

export class OperationChecker {
  readonly #routes: Route[];
  readonly #validators = new Map<Operation, ValidateFunction>();
  readonly #definitions: Record<string, Json>;

  readonly #closedBodies: boolean;

  /** `file`: a description excerpt in test/fixtures/forge-openapi/. */
  constructor(file: string, opts: { closedBodies?: boolean } = {}) {
    this.#closedBodies = opts.closedBodies ?? false;
    const d = JSON.parse(
      readFileSync(new URL(`../fixtures/forge-openapi/${file}`, import.meta.url), "utf8"),
    ) as Description;
    this.#definitions = d.definitions ?? {};
    const base = d.basePath ?? "";
    this.#routes = Object.entries(d.paths).flatMap(([template, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        template,
        op,
        names: [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
        re: new RegExp(`^${base}${template.replace(/\{[^}]+\}/g, "([^/]+)")}$`),
      })),
    );
  }

  /** The operation for a request path (raw, as sent: GitLab's project id is an encoded path). */
  match(method: string, rawPath: string): MatchedOperation | undefined {
    for (const r of this.#routes) {
      if (r.method !== method) continue;
      const m = r.re.exec(rawPath);
      if (!m) continue;
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? "")]));
      return { operationId: r.op.operationId, where: `${method} ${r.template}`, params };
    }
    return undefined;
  }

  #route(m: MatchedOperation): Route {
    return this.#routes.find((r) => `${r.method} ${r.template}` === m.where)!;
  }

  /** What is wrong with the request's parameters and body; the body parsed when it is JSON. */
  check(
    m: MatchedOperation,
    query: URLSearchParams,
    bodyText: string,
    contentType: string,
  ): { problems: string[]; body?: Json } {
    const { op } = this.#route(m);
    const problems: string[] = [];
    const where = m.where;
    const params = op.parameters ?? [];
    const declared = new Map(params.map((p) => [`${p.in}:${p.name}`, p]));
    for (const [name, value] of Object.entries(m.params)) {
      const p = declared.get(`path:${name}`);
      const type = p?.type ?? p?.schema?.type;
      if (!p) problems.push(`${where}: path parameter ${name} not described`);
      else if (!typeOk(type, value)) problems.push(`${where}: path ${name}=${value} is not ${type}`);
    }
    for (const [name, value] of query) {
      const p = declared.get(`query:${name}`);
      if (!p) {
        problems.push(`${where}: query parameter ${name} not described`);
        continue;
      }
      const type = p.type ?? p.schema?.type;
      const allowed = p.enum ?? p.schema?.enum;
      if (!typeOk(type, value)) problems.push(`${where}: query ${name}=${value} is not ${type}`);
      if (allowed && !allowed.includes(value))
        problems.push(`${where}: query ${name}=${value} not one of ${allowed.join(",")}`);
    }
    for (const p of params)
      if (p.required && p.in === "query" && !query.has(p.name))
        problems.push(`${where}: query ${p.name} missing`);
    const bodyParam = params.find((p) => p.in === "body");
    const schema = op.requestBody?.content?.["application/json"]?.schema ?? bodyParam?.schema;
    if (bodyText === "") {
      if (bodyParam?.required || op.requestBody?.required) problems.push(`${where}: body missing`);
      return { problems };
    }
    if (!schema)
      return { problems: [...problems, `${where}: a body was sent to an operation that takes none`] };
    if (!contentType.startsWith("application/json")) problems.push(`${where}: body is not application/json`);
    let body: Json;
    try {
      body = JSON.parse(bodyText) as Json;
    } catch {
      return { problems: [...problems, `${where}: body is not JSON`] };
    }
    let validate = this.#validators.get(op);
    if (!validate) {
      validate = ajv.compile(resolved(schema, this.#definitions, this.#closedBodies) as object);
      this.#validators.set(op, validate);
    }
    if (!validate(body))
      for (const e of validate.errors ?? []) {
        const extra = e.keyword === "additionalProperties" ? `/${String(e.params.additionalProperty)}` : "";
        problems.push(
          `${where}: body${e.instancePath}${extra} ${extra ? "is not in the description" : e.message}`,
        );
      }
    return { problems, body };
  }

  /** A success status the description does not list for the operation (when it lists any). */
  undeclaredSuccess(m: MatchedOperation, status: number): string | undefined {
    const responses = this.#route(m).op.responses;
    if (!responses || status >= 300 || String(status) in responses) return undefined;
    return `${m.where}: the test server answered ${status}, which the description does not list`;
  }
}
