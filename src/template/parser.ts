import type { Arg, Command, ListNode, Node, Pipe } from "./ast.js";
import { lineOf, TemplateError } from "./errors.js";
import { lex, type Token } from "./lexer.js";
import { parseNumber, unquote } from "./literals.js";

/** A parsed template set: the main body plus every `define`/`block`, by name. */
export interface Template {
  name: string;
  source: string;
  trees: Map<string, ListNode>;
}

type Stop = { kind: "end"; pos: number } | { kind: "else"; pos: number };

/** Recursive-descent parser following Go's text/template/parse, including its error texts. */
class Parser {
  private i = 0;
  private vars: string[] = ["$"];
  private rangeDepth = 0;
  readonly trees = new Map<string, ListNode>();

  constructor(
    private readonly name: string,
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly funcs: ReadonlySet<string>,
  ) {}

  private fail(pos: number, msg: string): never {
    throw new TemplateError(`template: ${this.name}:${lineOf(this.text, pos)}: ${msg}`);
  }

  private next(): Token {
    const t = this.tokens[Math.min(this.i, this.tokens.length - 1)]!;
    this.i++;
    return t;
  }

  private peek(): Token {
    return this.tokens[Math.min(this.i, this.tokens.length - 1)]!;
  }

  private backup(n = 1): void {
    this.i -= n;
  }

  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === "space") t = this.next();
    return t;
  }

  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  private describe(t: Token): string {
    if (t.type === "eof") return "EOF";
    if (t.type === "rightDelim") return "<right delimiter>";
    if (t.type === "leftDelim") return "<left delimiter>";
    return JSON.stringify(t.value);
  }

  private unexpected(t: Token, context: string): never {
    this.fail(t.pos, `unexpected ${this.describe(t)} in ${context}`);
  }

  private expect(type: Token["type"], context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  parseTop(): ListNode {
    const root: ListNode = { kind: "list", nodes: [] };
    for (;;) {
      const t = this.peek();
      if (t.type === "eof") break;
      if (t.type === "leftDelim") {
        const save = this.i;
        this.next();
        const kw = this.peekNonSpace();
        if (kw.type === "keyword" && kw.value === "define") {
          this.nextNonSpace();
          this.parseDefine();
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (isStop(n)) this.fail(n.pos, `unexpected {{${n.kind}}}`);
      root.nodes.push(n);
    }
    return root;
  }

  private parseDefine(): void {
    const nameTok = this.nextNonSpace();
    if (nameTok.type !== "string" && nameTok.type !== "rawString") this.unexpected(nameTok, "define clause");
    const name = unquote(nameTok, this);
    this.expect("rightDelim", "define clause");
    const saved = this.vars;
    this.vars = ["$"];
    const [list, stop] = this.itemList();
    if (stop.kind !== "end") this.fail(stop.pos, "unexpected {{else}} in define");
    this.vars = saved;
    this.addTree(name, list, nameTok.pos);
  }

  private addTree(name: string, list: ListNode, pos: number): void {
    const existing = this.trees.get(name);
    // Go allows redefinition only when one of the two bodies is empty.
    if (existing && !isEmptyList(existing) && !isEmptyList(list)) {
      this.fail(pos, `template: multiple definition of template "${name}"`);
    }
    if (!existing || !isEmptyList(list)) this.trees.set(name, list);
  }

  private itemList(): [ListNode, Stop] {
    const list: ListNode = { kind: "list", nodes: [] };
    for (;;) {
      if (this.peek().type === "eof") this.fail(this.peek().pos, "unexpected EOF");
      const n = this.textOrAction();
      if (isStop(n)) return [list, n];
      list.nodes.push(n);
    }
  }

  private textOrAction(): Node | Stop {
    const t = this.next();
    switch (t.type) {
      case "text":
        return { kind: "text", pos: t.pos, text: t.value };
      case "comment":
        return { kind: "comment", pos: t.pos };
      case "leftDelim":
        return this.action();
      default:
        this.unexpected(t, "input");
    }
  }

  private action(): Node | Stop {
    const t = this.nextNonSpace();
    if (t.type === "keyword") {
      switch (t.value) {
        case "block":
          return this.blockControl(t);
        case "break":
        case "continue":
          if (this.rangeDepth === 0) this.fail(t.pos, `{{${t.value}}} outside {{range}}`);
          this.expect("rightDelim", t.value);
          return { kind: t.value, pos: t.pos };
        case "else": {
          const p = this.peekNonSpace();
          if (p.type === "keyword" && (p.value === "if" || p.value === "with"))
            return { kind: "else", pos: t.pos };
          this.expect("rightDelim", "else");
          return { kind: "else", pos: t.pos };
        }
        case "end":
          this.expect("rightDelim", "end");
          return { kind: "end", pos: t.pos };
        case "if":
        case "with":
        case "range":
          return this.control(t.value, t.pos);
        case "template":
          return this.templateControl(t);
        case "define":
          this.fail(t.pos, "unexpected define clause: define is only allowed at the top level");
      }
    }
    this.backup();
    const pipe = this.pipeline("command", "rightDelim");
    return { kind: "action", pos: t.pos, pipe };
  }

  private control(kind: "if" | "with" | "range", pos: number): Node {
    const savedVars = this.vars.length;
    const pipe = this.pipeline(kind, "rightDelim");
    if (kind === "range") this.rangeDepth++;
    let [list, stop] = this.itemList();
    if (kind === "range") this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (stop.kind === "else") {
      const p = this.peekNonSpace();
      if ((kind === "if" && p.value === "if") || (kind === "with" && p.value === "with")) {
        // `{{else if x}}` is `{{else}}{{if x}}...{{end}}{{end}}` sharing one {{end}}.
        const kw = this.nextNonSpace();
        elseList = { kind: "list", nodes: [this.control(kind, kw.pos)] };
      } else {
        [elseList, stop] = this.itemList();
        if (stop.kind !== "end") this.fail(stop.pos, "expected end; found {{else}}");
      }
    }
    this.vars.length = savedVars;
    const node: Node = kind === "range" ? { kind, pos, pipe, list } : { kind, pos, pipe, list };
    if (elseList) node.elseList = elseList;
    return node;
  }

  private templateControl(t: Token): Node {
    const nameTok = this.nextNonSpace();
    if (nameTok.type !== "string" && nameTok.type !== "rawString")
      this.unexpected(nameTok, "template clause");
    const name = unquote(nameTok, this);
    const p = this.nextNonSpace();
    if (p.type === "rightDelim") return { kind: "template", pos: t.pos, name };
    this.backup();
    return { kind: "template", pos: t.pos, name, pipe: this.pipeline("template clause", "rightDelim") };
  }

  private blockControl(t: Token): Node {
    const nameTok = this.nextNonSpace();
    if (nameTok.type !== "string" && nameTok.type !== "rawString") this.unexpected(nameTok, "block clause");
    const name = unquote(nameTok, this);
    const pipe = this.pipeline("block clause", "rightDelim");
    const saved = this.vars;
    this.vars = ["$"];
    const [list, stop] = this.itemList();
    if (stop.kind !== "end") this.fail(stop.pos, "unexpected {{else}} in block clause");
    this.vars = saved;
    this.addTree(name, list, nameTok.pos);
    return { kind: "template", pos: t.pos, name, pipe };
  }

  pipeline(context: string, end: "rightDelim" | "rightParen"): Pipe {
    const pipe: Pipe = { pos: this.peekNonSpace().pos, isAssign: false, decl: [], cmds: [] };
    // Declarations: `$x :=`, `$x =`, and in range `$i, $v :=`.
    for (;;) {
      const save = this.i;
      const v = this.nextNonSpace();
      if (v.type !== "variable") {
        this.i = save;
        break;
      }
      const next = this.peekNonSpace();
      if (next.type === "declare" || next.type === "assign") {
        this.nextNonSpace();
        pipe.isAssign = next.type === "assign";
        if (pipe.isAssign) this.useVar(v);
        pipe.decl.push(v.value);
        this.vars.push(v.value);
        break;
      }
      if (next.type === "char" && next.value === ",") {
        this.nextNonSpace();
        pipe.decl.push(v.value);
        this.vars.push(v.value);
        if (context === "range" && pipe.decl.length < 2) {
          const p = this.peekNonSpace();
          if (p.type === "variable" || p.type === "rightDelim" || p.type === "rightParen") continue;
          this.fail(p.pos, "range can only initialize variables");
        }
        this.fail(next.pos, `too many declarations in ${context}`);
      }
      // Not a declaration: the variable starts the first command.
      this.i = save;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        if (pipe.cmds.length === 0) this.fail(t.pos, `missing value for ${context}`);
        for (let k = 1; k < pipe.cmds.length; k++) {
          const first = pipe.cmds[k]!.args[0]!;
          if (["bool", "dot", "nil", "number", "string"].includes(first.kind)) {
            this.fail(first.pos, `non executable command in pipeline stage ${k + 1}`);
          }
        }
        return pipe;
      }
      switch (t.type) {
        case "bool":
        case "charConst":
        case "dot":
        case "field":
        case "identifier":
        case "number":
        case "nil":
        case "rawString":
        case "string":
        case "variable":
        case "leftParen":
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private command(): Command {
    const cmd: Command = { pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      while (this.peek().type === "space") this.next();
      const op = this.operand();
      if (op) cmd.args.push(op);
      const t = this.next();
      if (t.type === "space") continue;
      if (t.type === "rightDelim" || t.type === "rightParen") this.backup();
      // A "|" ends the command without asking for another, as in Go: `{{ .X | }}` parses and runs
      // as `{{ .X }}` (go1.19 and Go's current parse.go; vectors in test/template). Not an error here.
      else if (t.type !== "pipe") this.unexpected(t, "operand");
      break;
    }
    if (cmd.args.length === 0) this.fail(cmd.pos, "empty command");
    return cmd;
  }

  private operand(): Arg | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().type !== "field") return node;
    const idents: string[] = [];
    while (this.peek().type === "field") idents.push(this.next().value.slice(1));
    switch (node.kind) {
      case "field":
        return { ...node, idents: [...node.idents, ...idents] };
      case "variable":
        return { ...node, idents: [...node.idents, ...idents] };
      case "bool":
      case "string":
      case "number":
      case "nil":
      case "dot":
        this.fail(node.pos, `unexpected . after term ${JSON.stringify(node.kind === "dot" ? "." : "")}`);
        break;
      default:
        return { kind: "chain", pos: node.pos, node, idents };
    }
  }

  private term(): Arg | undefined {
    const t = this.nextNonSpace();
    switch (t.type) {
      case "identifier":
        if (!this.funcs.has(t.value)) this.fail(t.pos, `function ${JSON.stringify(t.value)} not defined`);
        return { kind: "identifier", pos: t.pos, name: t.value };
      case "dot":
        return { kind: "dot", pos: t.pos };
      case "nil":
        return { kind: "nil", pos: t.pos };
      case "variable":
        this.useVar(t);
        return { kind: "variable", pos: t.pos, name: t.value, idents: [] };
      case "field":
        return { kind: "field", pos: t.pos, idents: [t.value.slice(1)] };
      case "bool":
        return { kind: "bool", pos: t.pos, value: t.value === "true" };
      case "charConst":
      case "number":
        return parseNumber(t, this);
      case "leftParen":
        return { kind: "pipe", pos: t.pos, pipe: this.pipeline("parenthesized pipeline", "rightParen") };
      case "string":
      case "rawString":
        return { kind: "string", pos: t.pos, value: unquote(t, this), text: t.value };
      default:
        this.backup();
        return undefined;
    }
  }

  private useVar(t: Token): void {
    if (!this.vars.includes(t.value)) this.fail(t.pos, `undefined variable ${JSON.stringify(t.value)}`);
  }

  failAt(pos: number, msg: string): never {
    this.fail(pos, msg);
  }
}

function isStop(n: Node | Stop): n is Stop {
  return (n.kind === "end" || n.kind === "else") && !("pipe" in n);
}

function isEmptyList(l: ListNode): boolean {
  return l.nodes.every((n) => n.kind === "comment" || (n.kind === "text" && n.text.trim() === ""));
}

/** Parses `text` as template `name`; `funcs` are the function names calls may use. */
export function parse(name: string, text: string, funcs: ReadonlySet<string>): Template {
  const parser = new Parser(name, text, lex(name, text), funcs);
  const root = parser.parseTop();
  const trees = parser.trees;
  const existing = trees.get(name);
  if (!existing || !isEmptyList(root)) trees.set(name, root);
  return { name, source: text, trees };
}
