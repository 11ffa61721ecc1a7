import type { CliIO } from "./io.js";

/**
 * Flux-like progress lines (`✚ generating`, `► applying`, `✔ created`, `◎ waiting`, `✗ error`).
 * The symbols are plain Unicode, so they are kept when not on a TTY; only colour depends on it.
 */
export interface Progress {
  generate(msg: string): void;
  action(msg: string): void;
  success(msg: string): void;
  waiting(msg: string): void;
  warning(msg: string): void;
  failure(msg: string): void;
}

const COLOURS = {
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  red: "\x1b[31m",
  blue: "\x1b[34m",
  reset: "\x1b[0m",
};

export function progress(io: CliIO): Progress {
  const paint = (colour: keyof typeof COLOURS, symbol: string) =>
    io.isTTY ? `${COLOURS[colour]}${symbol}${COLOURS.reset}` : symbol;
  // Flux writes progress to stderr so that stdout stays parseable (e.g. with --export)
  const line = (symbol: string, msg: string) => io.err(`${symbol} ${msg}\n`);
  return {
    generate: (m) => line(paint("green", "✚"), m),
    action: (m) => line(paint("blue", "►"), m),
    success: (m) => line(paint("green", "✔"), m),
    waiting: (m) => line(paint("yellow", "◎"), m),
    warning: (m) => line(paint("yellow", "⚠️"), m),
    failure: (m) => line(paint("red", "✗"), m),
  };
}

/** One stderr line that rewrites itself on a terminal: `update` replaces it, `done` erases it. */
export interface LiveLine {
  update(text: string): void;
  done(): void;
}

const ERASE_LINE = "\r\x1b[K";

/**
 * A LiveLine where the terminal is a person's (io.liveStderr); nothing at all elsewhere, so logs
 * and CI keep only the lines a command prints anyway. The line is redrawn at most every
 * `minIntervalMs` (a fleet finishes objects faster than anyone reads), the newest text last.
 */
export function liveLine(io: CliIO, minIntervalMs = 100): LiveLine {
  if (!io.liveStderr) return { update: () => {}, done: () => {} };
  let shownAt: number | undefined;
  let pending: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const draw = (text: string) => {
    shownAt = Date.now();
    pending = undefined;
    // A line wider than the terminal wraps, and \r then returns to its last row only.
    const width = (io.columns() || 80) - 1;
    io.err(`${ERASE_LINE}${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
  };
  return {
    update(text) {
      const wait = shownAt === undefined ? 0 : shownAt + minIntervalMs - Date.now();
      if (wait <= 0) return draw(text);
      pending = text;
      timer ??= setTimeout(() => {
        timer = undefined;
        if (pending !== undefined) draw(pending);
      }, wait);
    },
    done() {
      clearTimeout(timer);
      timer = undefined;
      pending = undefined;
      if (shownAt !== undefined) io.err(ERASE_LINE);
      shownAt = undefined;
    },
  };
}
