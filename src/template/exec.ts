import { type Arg, argString, type Command, type ListNode, type Node, type Pipe } from "./ast.js";
import { colOf, lineOf, TemplateError } from "./errors.js";
import { FuncError, type TemplateFunc } from "./funcs.js";
import type { Template } from "./parser.js";
import { formatValue, isStruct, isTrue, sortedEntries, typeName } from "./values.js";

const NO_FINAL = Symbol("no final");
type Final = unknown | typeof NO_FINAL;

class BreakSignal {}
class ContinueSignal {}

// Go's limit on nested template invocations, which stops runaway recursion.
const MAX_DEPTH = 10_000;

/** Runs a parsed template against data, following Go's text/template exec semantics. */
export class Executor {
  private out = "";
  private vars: { name: string; value: unknown }[] = [];
  private depth = 0;
  private current: string;

  constructor(
    private readonly tmpl: Template,
    private readonly funcs: Readonly<Record<string, TemplateFunc>>,
  ) {
    this.current = tmpl.name;
  }

  run(data: unknown): string {
    const root = this.tmpl.trees.get(this.tmpl.name);
    if (!root)
      throw new TemplateError(
        `template: ${this.tmpl.name}: "${this.tmpl.name}" is an incomplete or empty template`,
      );
    this.vars = [{ name: "$", value: data }];
    this.walkList(data, root);
    return this.out;
  }

  private fail(pos: number, at: string | undefined, msg: string): never {
    const src = this.tmpl.source;
    const where = `template: ${this.current}:${lineOf(src, pos)}:${colOf(src, pos)}`;
    throw new TemplateError(`${where}: executing "${this.current}" at <${at ?? ""}>: ${msg}`);
  }

  private walkList(dot: unknown, list: ListNode): void {
    for (const n of list.nodes) this.walk(dot, n);
  }

  private walk(dot: unknown, node: Node): void {
    switch (node.kind) {
      case "text":
        this.out += node.text;
        return;
      case "comment":
        return;
      case "action": {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.out += v === undefined ? "<no value>" : formatValue(v);
        return;
      }
      case "if":
      case "with": {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, node.pipe);
        if (isTrue(v)) this.walkList(node.kind === "with" ? v : dot, node.list);
        else if (node.elseList) this.walkList(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case "range":
        this.walkRange(dot, node);
        return;
      case "template": {
        const tree = this.tmpl.trees.get(node.name);
        if (!tree) this.fail(node.pos, `template ${node.name}`, `no such template "${node.name}"`);
        const newDot = node.pipe ? this.evalPipeline(dot, node.pipe) : null;
        if (++this.depth > MAX_DEPTH)
          this.fail(node.pos, `template ${node.name}`, "exceeded maximum template depth");
        const savedVars = this.vars;
        const savedName = this.current;
        this.vars = [{ name: "$", value: newDot }];
        this.current = node.name;
        try {
          this.walkList(newDot, tree);
        } finally {
          this.vars = savedVars;
          this.current = savedName;
          this.depth--;
        }
        return;
      }
      case "break":
        throw new BreakSignal();
      case "continue":
        throw new ContinueSignal();
    }
  }

  private walkRange(dot: unknown, node: Extract<Node, { kind: "range" }>): void {
    const mark = this.vars.length;
    const pipe = node.pipe;
    const v = this.evalPipelineNoDecl(dot, pipe);
    let items: [unknown, unknown][];
    if (Array.isArray(v)) items = v.map((e, i) => [i, e]);
    else if (v instanceof Map) items = sortedEntries(v);
    else if (typeof v === "number" && Number.isInteger(v))
      items = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    else if (v === undefined || v === null) items = [];
    else this.fail(node.pos, pipeAt(pipe), `range can't iterate over ${formatValue(v)}`);
    for (const [key, elem] of items) {
      this.vars.length = mark;
      if (pipe.decl.length === 1) this.declare(pipe, pipe.decl[0]!, elem);
      else if (pipe.decl.length === 2) {
        this.declare(pipe, pipe.decl[0]!, key);
        this.declare(pipe, pipe.decl[1]!, elem);
      }
      try {
        this.walkList(elem, node.list);
      } catch (e) {
        if (e instanceof BreakSignal) break;
        if (!(e instanceof ContinueSignal)) throw e;
      }
    }
    this.vars.length = mark;
    if (items.length === 0 && node.elseList) this.walkList(dot, node.elseList);
  }

  private declare(pipe: Pipe, name: string, value: unknown): void {
    if (pipe.isAssign) this.setVar(name, value);
    else this.vars.push({ name, value });
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    throw new TemplateError(`template: ${this.current}: undefined variable: ${name}`);
  }

  private varValue(name: string, pos: number): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--)
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    return this.fail(pos, name, `undefined variable: ${name}`);
  }

  private evalPipelineNoDecl(dot: unknown, pipe: Pipe): unknown {
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    return value === NO_FINAL ? undefined : value;
  }

  private evalPipeline(dot: unknown, pipe: Pipe): unknown {
    const value = this.evalPipelineNoDecl(dot, pipe);
    for (const name of pipe.decl) this.declare(pipe, name, value);
    return value;
  }

  private evalCommand(dot: unknown, cmd: Command, final: Final): unknown {
    const first = cmd.args[0]!;
    const rest = cmd.args.slice(1);
    switch (first.kind) {
      case "field":
        return this.evalFields(dot, dot, first.idents, first, rest, final);
      case "variable": {
        const v = this.varValue(first.name, first.pos);
        if (first.idents.length === 0) {
          this.notAFunction(first, rest, final);
          return v;
        }
        return this.evalFields(dot, v, first.idents, first, rest, final);
      }
      case "chain": {
        const base = this.evalArg(dot, first.node);
        return this.evalFields(dot, base, first.idents, first, rest, final);
      }
      case "identifier":
        return this.evalFunction(dot, first, rest, final);
      case "pipe":
        this.notAFunction(first, rest, final);
        return this.evalPipeline(dot, first.pipe);
      case "nil":
        return this.fail(first.pos, "nil", "nil is not a command");
      default:
        this.notAFunction(first, rest, final);
        return this.evalArg(dot, first);
    }
  }

  private notAFunction(node: Arg, rest: Arg[], final: Final): void {
    if (rest.length > 0 || final !== NO_FINAL) {
      this.fail(node.pos, argString(node), `can't give argument to non-function ${argString(node)}`);
    }
  }

  private evalFields(
    dot: unknown,
    receiver: unknown,
    idents: string[],
    node: Arg,
    rest: Arg[],
    final: Final,
  ): unknown {
    let v = receiver;
    idents.forEach((name, i) => {
      if (i === idents.length - 1 && (rest.length > 0 || final !== NO_FINAL)) {
        this.fail(node.pos, argString(node), `${name} is not a method but has arguments`);
      }
      v = this.evalField(v, name, node);
    });
    void dot;
    return v;
  }

  private evalField(receiver: unknown, name: string, node: Arg): unknown {
    if (receiver === undefined) return undefined;
    if (receiver === null)
      this.fail(node.pos, argString(node), `nil pointer evaluating interface {}.${name}`);
    if (receiver instanceof Map) {
      const keysAreStrings = receiver.size === 0 || typeof receiver.keys().next().value === "string";
      if (keysAreStrings) return receiver.get(name);
    } else if (isStruct(receiver)) {
      if (Object.hasOwn(receiver, name)) return receiver[name];
    }
    return this.fail(node.pos, argString(node), `can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private evalFunction(
    dot: unknown,
    node: Extract<Arg, { kind: "identifier" }>,
    args: Arg[],
    final: Final,
  ): unknown {
    const name = node.name;
    const at = name;
    if (name === "and" || name === "or") {
      // Short-circuit like Go 1.18+: stop at the first false (and) / true (or) argument.
      const all: (() => unknown)[] = args.map((a) => () => this.evalArg(dot, a));
      if (final !== NO_FINAL) all.push(() => final);
      if (all.length === 0)
        this.fail(node.pos, at, `wrong number of args for ${name}: want at least 1 got 0`);
      let v: unknown;
      for (const get of all) {
        v = get();
        if (isTrue(v) !== (name === "and")) return v;
      }
      return v;
    }
    const fn = this.funcs[name];
    if (!fn) return this.fail(node.pos, at, `"${name}" is not a defined function`);
    const values = args.map((a) => this.evalArg(dot, a));
    if (final !== NO_FINAL) values.push(final);
    try {
      return fn(...values.map((v) => (v === undefined ? null : v)));
    } catch (e) {
      if (e instanceof FuncError) this.fail(node.pos, at, `error calling ${name}: ${e.message}`);
      throw e;
    }
  }

  private evalArg(dot: unknown, arg: Arg): unknown {
    switch (arg.kind) {
      case "dot":
        return dot;
      case "nil":
        return null;
      case "bool":
      case "number":
      case "string":
        return arg.value;
      case "field":
        return this.evalFields(dot, dot, arg.idents, arg, [], NO_FINAL);
      case "variable": {
        const v = this.varValue(arg.name, arg.pos);
        return arg.idents.length ? this.evalFields(dot, v, arg.idents, arg, [], NO_FINAL) : v;
      }
      case "chain":
        return this.evalFields(dot, this.evalArg(dot, arg.node), arg.idents, arg, [], NO_FINAL);
      case "pipe":
        return this.evalPipeline(dot, arg.pipe);
      case "identifier":
        return this.evalFunction(dot, arg, [], NO_FINAL);
    }
  }
}

function pipeAt(p: Pipe): string {
  const first = p.cmds[0]?.args[0];
  return first ? argString(first) : "";
}
