// Colour is passed in, never global: formatters receive a Style, built from chalk with the
// level the CLI decided (NO_COLOR, FORCE_COLOR, --no-color, TTY).

import { Chalk, type ChalkInstance } from "chalk";

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
}

export function makeStyle(colour: boolean): Style {
  const chalk: ChalkInstance = new Chalk({ level: colour ? 1 : 0 });
  return {
    bold: (t) => chalk.bold(t),
    dim: (t) => chalk.dim(t),
    red: (t) => chalk.red(t),
    yellow: (t) => chalk.yellow(t),
    green: (t) => chalk.green(t),
    cyan: (t) => chalk.cyan(t),
    magenta: (t) => chalk.magenta(t),
  };
}

export const plain: Style = makeStyle(false);

/** Decides colour the way users expect: --no-color and NO_COLOR win, then FORCE_COLOR, then the TTY. */
export function wantsColour(options: { color?: boolean }, env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (options.color === false) return false;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force !== "false";
  return isTTY && env["TERM"] !== "dumb";
}
