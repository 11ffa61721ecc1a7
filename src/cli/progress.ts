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
