import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { memoryIO } from "../../src/cli/io.js";
import { buildProgram } from "../../src/cli/main.js";
import { runCli } from "../support/cli.js";

/** Every command line of the tree: [] (the root), ["create"], ["create", "image"], … */
function commandPaths(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  return [{ path, cmd }, ...cmd.commands.flatMap((c) => commandPaths(c, [...path, c.name()]))];
}

const program = buildProgram({ io: memoryIO(), setExitCode: () => {} });
const commands = commandPaths(program);

describe("--help of every command reads right", () => {
  it("walks the whole tree", () => {
    expect(commands.map((c) => c.path.join(" "))).toEqual(
      expect.arrayContaining([
        "create image update",
        "run",
        "policy test",
        "delete source git",
        "create alert-provider",
        "get receivers",
        "resume alert",
      ]),
    );
  });

  for (const { path, cmd } of commands) {
    it(`imagectl ${[...path, "--help"].join(" ")}`, async () => {
      const r = await runCli([...path, "--help"]);
      expect(r.code).toBe(0);
      // Help wraps at the terminal's width: compare words, not lines.
      const text = r.stdout.replace(/\s+/g, " ");
      expect(text).not.toMatch(/\ba (Image|Alert)/);
      expect(text).not.toMatch(/\ban (GitRepository|Receiver|Provider)/);
      expect(text).not.toContain("(default) (default");
      // One default an option: said in its text or by commander (`.default()`), never both.
      const help = cmd.createHelp();
      for (const option of help.visibleOptions(cmd)) {
        const said = help.optionDescription(option).match(/\bdefault\b/gi) ?? [];
        expect(said.length, `${option.flags}: ${help.optionDescription(option)}`).toBeLessThanOrEqual(1);
      }
    });
  }
});
