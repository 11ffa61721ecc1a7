import { isCollection, isSeq, parseAllDocuments, Scalar, visit } from "yaml";
import { parseMarker, resolveSetter } from "./marker.js";
import { objectIdOf } from "./object-id.js";
import { formatLike } from "./scalar-style.js";
import type { FileSetterResult, PolicyRefs } from "./types.js";

interface Edit {
  start: number;
  end: number;
  text: string;
}

const LINE_COMMENT = /[ \t]+#([^\n]*)/y;

/** The same-line comment after offset `end`, read from the source (not from the AST, which also
 * attaches comments from following lines). */
function lineCommentAfter(src: string, end: number): string | undefined {
  LINE_COMMENT.lastIndex = end;
  const m = LINE_COMMENT.exec(src);
  return m ? m[1]!.replace(/\r$/, "") : undefined;
}

/**
 * Pure core of the Setters strategy: edits the marked scalars of one file's text in place.
 * Only the bytes of each changed scalar are replaced, so quoting, comments, blank lines, block
 * scalars, line endings and BOM elsewhere are untouched (unlike Flux, which re-serialises the
 * whole file through yaml.v3). A file that does not parse is returned unchanged with a problem.
 */
export function applySetters(text: string, refs: PolicyRefs): FileSetterResult {
  const result: FileSetterResult = { text, changes: [], problems: [] };
  // The schema is failsafe so every scalar's value is its string form (`1.10` stays "1.10").
  const docs = parseAllDocuments(text, { schema: "failsafe", prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const [line, col] = err.linePos?.[0] ? [err.linePos[0].line, err.linePos[0].col] : [0, 0];
      result.problems.push({ kind: "malformed-yaml", message: `line ${line}, column ${col}: ${err.code}` });
      return result;
    }
  }
  const edits: Edit[] = [];
  for (const doc of list) {
    let object: ReturnType<typeof objectIdOf> | undefined;
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
        const newValue = resolveSetter(setter, refs);
        if (newValue === undefined) {
          result.problems.push({
            kind: "unknown-policy",
            message: `marker names unknown policy "${setter}"`,
          });
          return;
        }
        const oldValue = String(node.value);
        if (oldValue === newValue) return;
        const inFlow = path.some((p) => isCollection(p) && p.flow === true);
        const replacement = isBlock ? undefined : formatLike(node.type, newValue, inFlow);
        if (replacement === undefined) {
          result.problems.push({
            kind: "unsupported-scalar",
            message: `marker "${setter}" is on a ${node.type ?? "block"} scalar, which cannot be set in place`,
          });
          return;
        }
        edits.push({ start: node.range[0], end: node.range[1], text: replacement });
        object ??= objectIdOf(doc);
        result.changes.push({ object, change: { oldValue, newValue, setter } });
      },
    });
  }
  if (edits.length === 0) return result;
  // Apply back to front so earlier offsets stay valid; offsets are UTF-16 indexes into `text`.
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  result.text = out;
  return result;
}
