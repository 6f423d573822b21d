// The start-up floor of any CLI built on this project's required libraries: an ES module that
// imports commander and chalk and parses its argv, and does nothing else. The benchmark times it
// with the same arguments it gives kamal-doctor (`FLOOR --version`, `FLOOR LOG --format json`).
import { Command } from "commander";
import chalk from "chalk";

const program = new Command("floor")
  .version("0.0.0")
  .argument("[log]")
  .option("--format <format>", "output format", "text")
  .action(() => {
    chalk.bold("");
  });
program.parse();
