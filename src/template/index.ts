/**
 * Go text/template for commit message templates, written by hand: no maintained npm package
 * implements Go's template language faithfully (trim markers, `range $k, $v` over sorted map
 * keys, Go value printing, Sprig functions), and users paste templates written for Flux.
 */
import type { Arg, ListNode, Node, Pipe } from "./ast.js";
import { BUILTINS } from "./builtins.js";
import { TemplateError } from "./errors.js";
import { Executor } from "./exec.js";
import type { TemplateFunc } from "./funcs.js";
import { parse, type Template } from "./parser.js";
import { SPRIG } from "./sprig.js";

export { TemplateError } from "./errors.js";
export type { Template } from "./parser.js";
export { GO_MAP_ZERO, GO_STRING, GO_TYPE, goMap } from "./values.js";

const FUNCS: Readonly<Record<string, TemplateFunc>> = { ...SPRIG, ...BUILTINS };
const FUNC_NAMES: ReadonlySet<string> = new Set([...Object.keys(FUNCS), "and", "or"]);

/** Parses a Go text/template with Sprig's hermetic functions; throws TemplateError. */
export function parseTemplate(name: string, text: string): Template {
  return parse(name, text, FUNC_NAMES);
}

/** Executes a parsed template (see values.ts for how JS data maps to Go values). */
export function executeTemplate(t: Template, data: unknown): string {
  return new Executor(t, FUNCS).run(data);
}

/** Every field chain the template reads from the root data (`.A.B`, `$.A.B`), for static checks. */
export function rootFieldChains(t: Template): string[][] {
  const chains: string[][] = [];
  const fromArg = (a: Arg): void => {
    if (a.kind === "field") chains.push(a.idents);
    else if (a.kind === "variable" && a.name === "$") chains.push(a.idents);
    else if (a.kind === "chain") fromArg(a.node);
    else if (a.kind === "pipe") fromPipe(a.pipe);
  };
  const fromPipe = (p: Pipe): void => {
    for (const c of p.cmds) for (const a of c.args) fromArg(a);
  };
  const fromList = (l: ListNode): void => {
    for (const n of l.nodes) fromNode(n);
  };
  const fromNode = (n: Node): void => {
    if ("pipe" in n && n.pipe) fromPipe(n.pipe);
    if ("list" in n) fromList(n.list);
    if ("elseList" in n && n.elseList) fromList(n.elseList);
  };
  for (const tree of t.trees.values()) fromList(tree);
  return chains;
}

void TemplateError;
