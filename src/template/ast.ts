/** Parse tree of a Go text/template (mirrors text/template/parse node kinds). */
export type Node =
  | { kind: "text"; pos: number; text: string }
  | { kind: "comment"; pos: number }
  | { kind: "action"; pos: number; pipe: Pipe }
  | { kind: "if" | "with"; pos: number; pipe: Pipe; list: ListNode; elseList?: ListNode }
  | { kind: "range"; pos: number; pipe: Pipe; list: ListNode; elseList?: ListNode }
  | { kind: "template"; pos: number; name: string; pipe?: Pipe }
  | { kind: "break" | "continue"; pos: number };

export interface ListNode {
  kind: "list";
  nodes: Node[];
}

export interface Pipe {
  pos: number;
  isAssign: boolean;
  decl: string[];
  cmds: Command[];
}

export interface Command {
  pos: number;
  args: Arg[];
}

export type Arg =
  | { kind: "field"; pos: number; idents: string[] }
  | { kind: "variable"; pos: number; name: string; idents: string[] }
  | { kind: "chain"; pos: number; node: Arg; idents: string[] }
  | { kind: "identifier"; pos: number; name: string }
  | { kind: "dot"; pos: number }
  | { kind: "nil"; pos: number }
  | { kind: "bool"; pos: number; value: boolean }
  | { kind: "number"; pos: number; value: number; text: string; isFloat: boolean }
  | { kind: "string"; pos: number; value: string; text: string }
  | { kind: "pipe"; pos: number; pipe: Pipe };

/** Go's String() of an argument, used in error messages (`at <.Foo.Bar>`). */
export function argString(a: Arg): string {
  switch (a.kind) {
    case "field":
      return a.idents.map((i) => `.${i}`).join("");
    case "variable":
      return [a.name, ...a.idents].join(".");
    case "chain":
      return `${a.node.kind === "pipe" ? `(${pipeString(a.node.pipe)})` : argString(a.node)}${a.idents.map((i) => `.${i}`).join("")}`;
    case "identifier":
      return a.name;
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "bool":
      return String(a.value);
    case "number":
      return a.text;
    case "string":
      return a.text;
    case "pipe":
      return `(${pipeString(a.pipe)})`;
  }
}

export function pipeString(p: Pipe): string {
  const decl = p.decl.length ? `${p.decl.join(", ")} ${p.isAssign ? "=" : ":="} ` : "";
  return decl + p.cmds.map((c) => c.args.map(argString).join(" ")).join(" | ");
}
