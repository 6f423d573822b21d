// The bundled entry point: runs the CLI on the real process and sets its exit code.
import { VERSION } from "../version.js";

// `kamal-doctor big.log | head` (or `exec … 2>&1 | head`) closes the pipe early: that is not an
// error. What is left to print has nowhere to go, but the work goes on: a wrapped deploy is not
// cut off half-way, and the exit code is still the diagnosis's. Any other failure to write to
// stdout (a full disk) is said once on stderr; stderr itself has nowhere to say it.
let stdoutFailed = false;
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (stdoutFailed) return;
  stdoutFailed = true;
  if (error.code !== "EPIPE") process.stderr.write(`kamal-doctor: cannot write to standard output (${error.code ?? error.message}); the rest of the output is lost\n`);
});
process.stderr.on("error", () => {});

// `kamal-doctor --version` alone is answered before the program is loaded (what commander would
// print for it: the version and a line end); anything else, `--version` among other arguments
// too, goes through the program.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  process.stdout.write(`${VERSION}\n`);
} else {
  const { run } = await import("./main.js");
  process.exitCode = await run(argv);
}
