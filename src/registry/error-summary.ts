/**
 * `CODE: message` pairs from a distribution error body, for messages; never the raw body. The
 * body's check (response-checks.ts, with zod) is loaded only when there is a body to read: a
 * HEAD answer has none.
 */
export async function registryErrorSummary(body: Buffer): Promise<string> {
  if (body.length === 0) return "";
  return (await import("./response-checks.js")).errorSummary(body);
}
