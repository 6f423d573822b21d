// The Action's bundled entry (action/dist/index.mjs): runs it on the real process.
import { processIO } from "../cli/io.js";
import { runAction } from "./run.js";

process.exitCode = await runAction(processIO());
