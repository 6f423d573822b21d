// The command-line program: `run(argv, io)` parses, dispatches and returns an exit code.
// Errors become one line on stderr (a stack trace only with DEBUG set).

import { Command, CommanderError } from "commander";
import { SaveError } from "../github/save.js";
import { InputError } from "../sources/input.js";
import { VERSION } from "../version.js";
import { registerAnalyze } from "./analyze.js";
import { registerAnnotate } from "./annotate.js";
import { registerExec } from "./exec.js";
import { registerLast } from "./last.js";
import { registerListen } from "./listen.js";
import { registerRules } from "./rules.js";
import { registerRun } from "./run.js";
import { CliError, EXIT, processIO, type CliIO } from "./io.js";

const EXIT_HELP = `
Exit codes:
  ${EXIT.OK}  no failure found
  ${EXIT.FAILURE}  a failure was diagnosed (known or not)
  ${EXIT.USAGE}  usage, input or rule-file error (also: part of the input unreadable, no failure in the rest)
  ${EXIT.GITHUB}  GitHub or network error
  exec exits with the wrapped command's exit code

Examples:
  kamal deploy 2>&1 | kamal-doctor
  kamal-doctor deploy.log --format json
  kamal-doctor run https://github.com/acme/shop/actions/runs/123456789
  kamal-doctor last                 # the newest log of Kamal 2.12's \`output: file:\`
  kamal-doctor listen               # receive Kamal 2.12's \`output: otel:\` logs on 127.0.0.1:4318`;

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
  registerLast(program, io, setExit);
  registerListen(program, io, setExit);
  registerRules(program, io, setExit);
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
    if (error instanceof CliError) {
      io.stderr.write(`kamal-doctor: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof InputError || error instanceof SaveError) {
      io.stderr.write(`kamal-doctor: ${error.message}\n`);
      return EXIT.USAGE;
    }
    if (io.env["DEBUG"]) io.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    else io.stderr.write(`kamal-doctor: unexpected error: ${(error as Error).message ?? String(error)} (set DEBUG=1 for details)\n`);
    return EXIT.USAGE;
  }
}
