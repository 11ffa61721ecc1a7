import { type Document, isCollection, isSeq, type Node, parseAllDocuments, Scalar, visit } from "yaml";
import { scanBlockYaml } from "./block-yaml-scan.js";
import { parseMarker, resolveSetter } from "./marker.js";
import { resourceIdOf } from "./resource-id.js";
import { formatLike } from "./scalar-style.js";
import type { FileSetterResult, PolicyRefs, ResourceIdentifier } from "./types.js";

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** A scalar carrying a marker, as either path found it. */
interface MarkedScalar {
  setter: string;
  start: number;
  end: number;
  value: string;
  type: Scalar["type"];
  isBlock: boolean;
  inFlow: boolean;
}

const LINE_COMMENT = /[ \t]+#([^\n]*)/y;

/** The same-line comment after offset `end`, read from the source (not from the AST, which also
 * attaches comments from following lines). */
function lineCommentAfter(src: string, end: number): string | undefined {
  LINE_COMMENT.lastIndex = end;
  const m = LINE_COMMENT.exec(src);
  return m ? m[1]!.replace(/\r$/, "") : undefined;
}

/** Collects the edits, changes and problems of one file, whichever way its scalars were found. */
function setterCollector(refs: PolicyRefs, result: FileSetterResult, hold?: ReadonlySet<string>) {
  const edits: Edit[] = [];
  const mark = (m: MarkedScalar, object: () => ResourceIdentifier): void => {
    if (hold?.has(m.setter)) return;
    const newValue = resolveSetter(m.setter, refs);
    if (newValue === undefined) {
      result.problems.push({ kind: "unknown-policy", message: `marker names unknown policy "${m.setter}"` });
      return;
    }
    if (m.value === newValue) return;
    const replacement = m.isBlock ? undefined : formatLike(m.type, newValue, m.inFlow);
    if (replacement === undefined) {
      result.problems.push({
        kind: "unsupported-scalar",
        message: `marker "${m.setter}" is on a ${m.type ?? "block"} scalar, which cannot be set in place`,
      });
      return;
    }
    edits.push({ start: m.start, end: m.end, text: replacement });
    result.changes.push({ object: object(), change: { oldValue: m.value, newValue, setter: m.setter } });
  };
  return { edits, mark };
}

/** Fast path: the file is in the simple block subset, so only commented scalars can be marked. */
function markScanned(
  text: string,
  refs: PolicyRefs,
  result: FileSetterResult,
  hold?: ReadonlySet<string>,
): Edit[] | undefined {
  const scalars = scanBlockYaml(text);
  if (!scalars) return undefined;
  const { edits, mark } = setterCollector(refs, result, hold);
  for (const s of scalars) {
    const line = lineCommentAfter(text, s.end);
    const setter = line === undefined ? undefined : parseMarker(line);
    if (setter === undefined) continue;
    mark(
      { setter, start: s.start, end: s.end, value: s.value, type: s.type, isBlock: false, inFlow: false },
      () => s.object,
    );
  }
  return edits;
}

/** General path: any YAML, through yaml's Document API. */
function markParsed(
  text: string,
  refs: PolicyRefs,
  result: FileSetterResult,
  hold?: ReadonlySet<string>,
): Edit[] {
  // The schema is failsafe so every scalar's value is its string form (`1.10` stays "1.10").
  const docs = parseAllDocuments(text, { schema: "failsafe", prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const [line, col] = err.linePos?.[0] ? [err.linePos[0].line, err.linePos[0].col] : [0, 0];
      result.problems.push({ kind: "malformed-yaml", message: `line ${line}, column ${col}: ${err.code}` });
      return [];
    }
  }
  const { edits, mark } = setterCollector(refs, result, hold);
  for (const doc of list) {
    let object: ResourceIdentifier | undefined;
    const objectOf = (): ResourceIdentifier => {
      object ??= resourceIdOf(doc as Document<Node>);
      return object;
    };
    visit(doc, {
      Scalar(key, node, path) {
        if (key === "key" || !node.range) return;
        const parent = path[path.length - 1];
        const isBlock = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
        // Block scalars keep their header comment in the AST; others are read from the source.
        const line = isBlock ? (node.comment ?? undefined) : lineCommentAfter(text, node.range[1]);
        let setter = line === undefined ? undefined : parseMarker(line);
        if (line === undefined && typeof key === "number" && isSeq(parent)) {
          // kyaml also reads a head comment, which only sequence items carry in practice.
          const head = node.commentBefore ?? (key === 0 ? parent.commentBefore : undefined) ?? undefined;
          if (head != null && !head.includes("\n")) setter = parseMarker(head);
        }
        if (setter === undefined) return;
        const inFlow = path.some((p) => isCollection(p) && p.flow === true);
        const [start, end] = node.range;
        mark({ setter, start, end, value: String(node.value), type: node.type, isBlock, inFlow }, objectOf);
      },
    });
  }
  return edits;
}

function applyEdits(result: FileSetterResult, edits: Edit[]): FileSetterResult {
  if (edits.length === 0) return result;
  // Apply back to front so earlier offsets stay valid; offsets are UTF-16 indexes into `text`.
  edits.sort((a, b) => b.start - a.start);
  let out = result.text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  result.text = out;
  return result;
}

/**
 * Pure core of the Setters strategy: edits the marked scalars of one file's text in place.
 * Only the bytes of each changed scalar are replaced, so quoting, comments, blank lines, block
 * scalars, line endings and BOM elsewhere are untouched (unlike Flux, which re-serialises the
 * whole file through yaml.v3). A file that does not parse is returned unchanged with a problem.
 * Markers naming a setter in `hold` (pinned after a rollback) are left as they are.
 */
export function applySetters(text: string, refs: PolicyRefs, hold?: ReadonlySet<string>): FileSetterResult {
  const result: FileSetterResult = { text, changes: [], problems: [] };
  return applyEdits(result, markScanned(text, refs, result, hold) ?? markParsed(text, refs, result, hold));
}

/** applySetters through yaml's Document API only: the reference the fast path is tested against. */
export function applySettersParsed(text: string, refs: PolicyRefs): FileSetterResult {
  const result: FileSetterResult = { text, changes: [], problems: [] };
  return applyEdits(result, markParsed(text, refs, result));
}
