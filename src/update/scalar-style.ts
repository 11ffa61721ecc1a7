import { Scalar } from "yaml";

// Plain scalars YAML 1.1 (yaml.v3, kyaml) or 1.2 would resolve to something other than a string.
const NON_STRING =
  /^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[-+]?(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][-+]?[0-9]+)?|0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?|=|<<)$/;
// Conservative: characters that are plain-safe in block context. Anything else is quoted.
const PLAIN_SAFE = /^[A-Za-z0-9._/+-][A-Za-z0-9._/@:+-]*$/;

function plainIsSafe(value: string, inFlow: boolean): boolean {
  if (!PLAIN_SAFE.test(value) || NON_STRING.test(value)) return false;
  if (value.endsWith(":") || value === "-") return false;
  // In flow collections `:` may start a mapping value; quote rather than depend on parser leniency.
  if (inFlow && value.includes(":")) return false;
  return true;
}

function doubleQuoted(value: string): string {
  // JSON string escapes are a subset of YAML double-quoted escapes.
  return JSON.stringify(value);
}

/**
 * The source text for `value` in the style of the scalar it replaces, or undefined when the
 * style cannot be kept in place (block scalars). Plain values that would re-read as
 * non-strings are double-quoted, as Flux does.
 */
export function formatLike(type: Scalar["type"], value: string, inFlow: boolean): string | undefined {
  switch (type) {
    case Scalar.PLAIN:
      return plainIsSafe(value, inFlow) ? value : doubleQuoted(value);
    case Scalar.QUOTE_SINGLE:
      return /[\n\r]/.test(value) ? doubleQuoted(value) : `'${value.replaceAll("'", "''")}'`;
    case Scalar.QUOTE_DOUBLE:
      return doubleQuoted(value);
    default:
      return undefined;
  }
}
