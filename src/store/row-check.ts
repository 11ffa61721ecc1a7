/**
 * Checks on what a backend reads back from its database. The database is outside the process (a
 * file anyone with the owner's rights can edit, a server other tools write to), so a row is
 * checked before it becomes an object: a bad one gives a CorruptRowError naming the table, the
 * object and the field, instead of a TypeError somewhere in a reconciler.
 *
 * zod/mini, not the `zod` entry point: the same zod 4 checks, but tree-shaken to ~85 kB of the
 * CLI bundle (z.compile is half of it) instead of ~580 kB, whose loading alone measured 7 ms of
 * every start that opens the store, with a warm code cache.
 *
 * The checks return the value they were given, not zod's copy: what callers get is exactly what
 * JSON.parse or the driver produced (key order, no stripped keys), and nothing is copied twice.
 */
import * as z from "zod/mini";
import { CorruptRowError, describeObjectId } from "./errors.js";

/** Whose row a value belongs to, for the message; `kind` is implied by tables without a kind column. */
export interface RowOwner {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Interpreted checking of about this many values (rows, or elements of an array) costs what
 * compiling the schema costs (0.3-1 ms measured).
 */
const COMPILE_AFTER = 1_000;

/**
 * A zod schema for stored data. Built on first use: a command reads rows of a few tables only, and
 * building the rest would cost start-up time for nothing. Checked by zod's interpreter until
 * that has cost about what compiling would, then by the checker z.compile generates: a row check
 * measured 0.7 us interpreted and 0.03 us compiled, 100k tags 0.9 ms and 0.14 ms. So a CLI command
 * that reads a few rows never pays for a compile, and a daemon listing thousands of rows, or
 * reading large tag lists, pays it once. (Compiling every schema as the module loads measured
 * +1.1 ms of start-up.)
 */
export class RowShape<S extends z.ZodMiniType> {
  private built: S | undefined;
  private checked = 0;
  private compiled: S | undefined;

  constructor(private readonly make: () => S) {}

  get schema(): S {
    this.built ??= this.make();
    return this.built;
  }

  fits(value: unknown): boolean {
    if (this.compiled) return z.validate(this.compiled, value);
    const ok = this.schema.safeParse(value).success;
    this.checked += Array.isArray(value) ? value.length + 1 : 1;
    if (this.checked >= COMPILE_AFTER) this.compiled = z.compile(this.schema);
    return ok;
  }
}

export function rowShape<S extends z.ZodMiniType>(make: () => S): RowShape<S> {
  return new RowShape(make);
}

/** What the store keeps as JSON text: labels, annotations, secret data. */
export const stringMap = rowShape(() => z.record(z.string(), z.string()));
/** A spec or a status: the store owns only its being an object; its fields are src/api's to judge. */
export const jsonObject = rowShape(() => z.looseObject({}));

/**
 * A check for a string union, given as a record so the compiler proves the list complete (the
 * unions live in store.ts as types only).
 */
export function oneOf<T extends string>(members: Record<T, true>): z.ZodMiniType<T> {
  return z.enum(Object.keys(members) as T[]) as z.ZodMiniType<T>;
}

/**
 * Checks a row's columns as the driver returned them. The owner is read from the row's kind,
 * namespace and name columns; `owner` gives what a table does not have as columns.
 */
export function checkRow<S extends z.ZodMiniType>(
  shape: RowShape<S>,
  row: unknown,
  table: string,
  owner: Partial<RowOwner> = {},
): z.output<S> {
  if (shape.fits(row)) return row as z.output<S>;
  throw corrupt(table, { ...ownerOf(row), ...owner }, "", shape.schema, row);
}

/** Parses and checks one JSON column. */
export function checkJson<S extends z.ZodMiniType>(
  shape: RowShape<S>,
  text: string,
  table: string,
  owner: RowOwner,
  column: string,
): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the text, which may be a secret.
    throw new CorruptRowError(table, describeObjectId(owner), column, "not valid JSON");
  }
  if (shape.fits(value)) return value as z.output<S>;
  throw corrupt(table, owner, column, shape.schema, value);
}

function ownerOf(row: unknown): RowOwner {
  const r = (row !== null && typeof row === "object" ? row : {}) as Record<string, unknown>;
  return { kind: String(r.kind), namespace: String(r.namespace), name: String(r.name) };
}

function corrupt(
  table: string,
  owner: RowOwner,
  column: string,
  schema: z.ZodMiniType,
  value: unknown,
): CorruptRowError {
  // Only a failing check pays for zod's issue list.
  const issue = schema.safeParse(value).error?.issues[0];
  const path = issue?.path ?? [];
  const field = path.reduce<string>(
    (at, p) => (typeof p === "number" ? `${at}[${p}]` : at ? `${at}.${String(p)}` : String(p)),
    column,
  );
  return new CorruptRowError(table, describeObjectId(owner), field || "row", describe(issue, value, path));
}

/** The problem in words, naming types and allowed values but never the value found. */
function describe(issue: z.core.$ZodIssue | undefined, value: unknown, path: readonly PropertyKey[]): string {
  const found = typeName(
    path.reduce<unknown>((v, p) => (isIndexable(v) ? v[p as string] : undefined), value),
  );
  switch (issue?.code) {
    case "invalid_type":
      return `expected ${issue.expected}, found ${found}`;
    case "invalid_value":
      // Found values are never quoted (they may be secrets), so a wrong string is just "not these".
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}${found === "string" ? "" : `, found ${found}`}`;
    default:
      return issue?.message ?? "invalid";
  }
}

function isIndexable(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object";
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  // SQLite hands back a BLOB stored in any column as a Buffer.
  if (v instanceof Uint8Array) return "blob";
  return typeof v;
}
