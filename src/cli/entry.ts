// The bundled entry point: runs the CLI on the real process and sets its exit code.
import { run } from "./main.js";

let writeFailed = false;
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (writeFailed) return;
  writeFailed = true;
  // `kamal-doctor big.log | head` closes the pipe early: that is not an error. What is left to
  // print has nowhere to go, but the work goes on: a wrapped deploy is not cut off half-way, and
  // the exit code is still the diagnosis's. Any other failure to write (a full disk) is said once.
  if (error.code !== "EPIPE") process.stderr.write(`kamal-doctor: cannot write to standard output (${error.code ?? error.message}); the rest of the output is lost\n`);
});

process.exitCode = await run(process.argv.slice(2));
