/** A template that does not parse, or fails while executing. Messages follow Go's text/template. */
export class TemplateError extends Error {
  override name = "TemplateError";
}

/** Position of an offset in the template source, for Go-style `name:line:col` prefixes. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export function colOf(text: string, offset: number): number {
  const nl = text.lastIndexOf("\n", offset - 1);
  return offset - nl - 1;
}
