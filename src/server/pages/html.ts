/**
 * HTML built with a tagged template that escapes every interpolated value unless it is already
 * `Html` (the result of another `html` call, or `raw` for markup the code itself wrote). Names,
 * messages and tags come from users and registries, so escaping is the default, not a habit.
 * Hand-written rather than a template engine: the pages are a few hundred lines of markup, this
 * is all the engine they need, and it adds nothing to load or to audit.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text safe in element content and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** Values an `html` template accepts: nested Html, arrays of them, text, numbers, nothing. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return "";
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? "");
  return new Html(out);
}

/** Markup written by this code (never data): inline SVG paths, fixed fragments. */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** `/policies/<ns>/<name>` with each segment URL-encoded (names are DNS labels, but never trust that). */
export function objectPath(section: string, namespace: string, name: string): string {
  return `/${section}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

/** A query string from the given values, skipping empty ones (`?a=1&b=2`, or ""). */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
