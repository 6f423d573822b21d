// The bundled entry point: runs the CLI on the real process and sets its exit code.
import { run } from "./main.js";

process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  // `kamal-doctor big.log | head` closes the pipe early: that is not an error.
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await run(process.argv.slice(2));
