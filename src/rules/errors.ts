// Rule problems the CLI turns into exit 2. Kept free of dependencies so catching them does not
// load the YAML parser and the schema (those load only when rule files are read: `--rules`).

export class RuleFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems[0] ?? "invalid rule file");
  }
}
