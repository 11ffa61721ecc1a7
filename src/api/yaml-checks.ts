/**
 * Checks on a parsed YAML document before it becomes a JavaScript value: nesting depth, alias
 * count (INPUT_LIMITS) and duplicate keys. yaml's own `uniqueKeys` compares every new key with
 * all earlier ones of its mapping, quadratic in the mapping's size (20,000 labels took 6 s); this
 * walk finds duplicates with a Set, in one pass.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node } from "yaml";
import { INPUT_LIMITS, quote } from "./input-limits.js";

export interface YamlProblem {
  /** Offset of the offending node in the text. */
  offset: number;
  message: string;
}

export function checkYamlDocument(doc: Document): YamlProblem[] {
  const problems: YamlProblem[] = [];
  let aliases = 0;
  // Iterative, so that depth is checked without the walk itself recursing deeply.
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  while (stack.length > 0 && problems.length < 20) {
    const { node, depth } = stack.pop()!;
    if (isAlias(node)) {
      aliases++;
      if (aliases === INPUT_LIMITS.aliases + 1) {
        problems.push({
          offset: offsetOf(node),
          message: `more than ${INPUT_LIMITS.aliases} YAML aliases in one document`,
        });
      }
      continue;
    }
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= INPUT_LIMITS.depth) {
      problems.push({ offset: offsetOf(node), message: `nesting deeper than ${INPUT_LIMITS.depth} levels` });
      continue;
    }
    if (isSeq(node)) {
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
      continue;
    }
    const seen = new Set<string>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = pair.key;
      if (isScalar(key)) {
        const k = String(key.value);
        if (seen.has(k)) {
          problems.push({
            offset: offsetOf(key),
            message: `YAML syntax error: duplicate key ${quote(k)} (map keys must be unique)`,
          });
        }
        seen.add(k);
      } else if (isAlias(key) || isMap(key) || isSeq(key)) {
        stack.push({ node: key, depth: depth + 1 });
      }
      stack.push({ node: pair.value, depth: depth + 1 });
    }
  }
  return problems;
}

function offsetOf(node: unknown): number {
  return (node as Node).range?.[0] ?? 0;
}
