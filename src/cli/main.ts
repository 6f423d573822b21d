// The command-line program: `run(argv, io)` parses, dispatches and returns an exit code.
// Errors become one line on stderr (a stack trace only with DEBUG set), with the exit code of
// ERROR_EXITS: the one place an error class is given its code. Commands only orchestrate.

import { Command, CommanderError } from "commander";
import { GitHubError, TargetError } from "../github/errors.js";
import { SaveError } from "../github/save.js";
import { RuleCompileError } from "../rules/compile.js";
import { RuleFileError } from "../rules/errors.js";
import { InputError } from "../sources/errors.js";
import { VERSION } from "../version.js";
import { registerAnalyze } from "./analyze.js";
import { registerAnnotate } from "./annotate.js";
import { registerConfig } from "./config.js";
import { registerExec } from "./exec.js";
import { registerHistory } from "./history.js";
import { registerLast } from "./last.js";
import { registerListen } from "./listen.js";
import { registerMcp } from "./mcp.js";
import { registerRules } from "./rules.js";
import { registerRun } from "./run.js";
import { CliError, EXIT, processIO, type CliIO } from "./io.js";

const EXIT_HELP = `
Exit codes:
  ${EXIT.OK}  no failure found
  ${EXIT.FAILURE}  a failure was diagnosed (known or not)
  ${EXIT.USAGE}  usage, input or rule-file error (also: part of the input unreadable, no failure in the rest)
  ${EXIT.GITHUB}  GitHub or network error
  exec exits with the wrapped command's exit code; history exits 1 when the newest finished run failed

Examples:
  kamal deploy 2>&1 | kamal-doctor
  kamal-doctor deploy.log --format json
  kamal-doctor run https://github.com/acme/shop/actions/runs/123456789
  kamal-doctor history acme/shop    # the recent deploy runs and their causes
  kamal-doctor config -d production
  kamal-doctor last                 # the newest log of Kamal 2.12's \`output: file:\`
  kamal-doctor listen               # receive Kamal 2.12's \`output: otel:\` logs on 127.0.0.1:4318`;

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;
interface ErrorExit<E extends Error = Error> {
  type: ErrorClass<E>;
  code: (error: E) => number;
  message?: (error: E) => string;
}
const exitFor = <E extends Error>(entry: ErrorExit<E>): ErrorExit => entry as unknown as ErrorExit;

/** Every error the user can act on, with the code --help documents (2 usage/input/rule file, 3 GitHub/network). */
export const ERROR_EXITS: readonly ErrorExit[] = [
  exitFor({ type: CliError, code: (error) => error.exitCode }),
  exitFor({ type: InputError, code: () => EXIT.USAGE }),
  exitFor({ type: SaveError, code: () => EXIT.USAGE }),
  exitFor({ type: RuleFileError, code: () => EXIT.USAGE, message: (error) => error.problems.join("\n") }),
  exitFor({ type: RuleCompileError, code: () => EXIT.USAGE }),
  exitFor({ type: TargetError, code: () => EXIT.USAGE }),
  exitFor({ type: GitHubError, code: () => EXIT.GITHUB }),
];

export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command()
    .name("kamal-doctor")
    .description("Reads the output of Kamal deploys and tells you what broke, where, and how to fix it.")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text),
    })
    .addHelpText("after", EXIT_HELP);
  registerAnalyze(program, io, setExit);
  registerRun(program, io, setExit);
  registerExec(program, io, setExit);
  registerAnnotate(program, io, setExit);
  registerHistory(program, io, setExit);
  registerLast(program, io, setExit);
  registerListen(program, io, setExit);
  registerRules(program, io, setExit);
  registerConfig(program, io, setExit);
  registerMcp(program, io, setExit);
  return program;
}

export async function run(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return EXIT.OK;
      return EXIT.USAGE;
    }
    const known = ERROR_EXITS.find((entry) => error instanceof entry.type);
    if (known) {
      io.stderr.write(`kamal-doctor: ${known.message?.(error as Error) ?? (error as Error).message}\n`);
      return known.code(error as Error);
    }
    if (io.env["DEBUG"]) io.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    else io.stderr.write(`kamal-doctor: unexpected error: ${(error as Error).message ?? String(error)} (set DEBUG=1 for details)\n`);
    return EXIT.USAGE;
  }
}
