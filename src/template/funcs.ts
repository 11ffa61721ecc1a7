import { typeName } from "./values.js";

/** A template function: receives evaluated arguments, throws FuncError on misuse. */
export type TemplateFunc = (...args: unknown[]) => unknown;

/** Raised by a function; the executor adds the template position (`error calling NAME: ...`). */
export class FuncError extends Error {
  override name = "FuncError";
}

export function arity(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want =
      min === max ? String(min) : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min}-${max}`;
    throw new FuncError(`wrong number of args for ${name}: want ${want} got ${args.length}`);
  }
}

/** A string argument, as Go's reflection requires for a `string` parameter. */
export function str(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) throw new FuncError("invalid value; expected string");
  throw new FuncError(`wrong type for value; expected string; got ${typeName(v)}`);
}

export function int(v: unknown): number {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (v === undefined || v === null) throw new FuncError("invalid value; expected int");
  throw new FuncError(`wrong type for value; expected int; got ${typeName(v)}`);
}
