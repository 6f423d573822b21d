#!/usr/bin/env bash
# The GitHub Action's one step (action.yml): runs the built CLI from the action's checkout with
# the inputs it receives as KD_* environment variables, and sets the step's outputs.
#   KD_COMMAND   run it under `kamal-doctor exec` (the step exits with its code)
#   KD_COLLECT   "true": `exec --collect` (read-only Kamal follow-ups when the command fails)
#   KD_LOG_FILE  diagnose these files
#   KD_RUN_ID    diagnose this run (and post a check run / comment when asked)
#   KD_OUTPUTS   annotations,summary,check-run,comment
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kd() { node "$here/bin/kamal-doctor.js" "$@"; }

outputs=",${KD_OUTPUTS-annotations,summary},"
outputs="${outputs// /}"
want() { [[ "$outputs" == *",$1,"* ]]; }

common=()
[[ -n "${KD_RULES:-}" ]] && common+=(--rules "$KD_RULES")
[[ "${KD_REDACT:-true}" == "false" ]] && common+=(--no-redact)
summary=()
want summary || summary=(--no-summary)

modes=0
for input in "${KD_COMMAND:-}" "${KD_LOG_FILE:-}" "${KD_RUN_ID:-}"; do [[ -n "$input" ]] && modes=$((modes + 1)); done
if [[ "$modes" -ne 1 ]]; then
  echo "::error title=kamal-doctor::give exactly one of the inputs command, log-file or run-id"
  exit 2
fi

if [[ -n "${KD_COMMAND:-}" ]]; then
  read -r -a command <<< "$KD_COMMAND"
  collect=()
  [[ "${KD_COLLECT:-false}" == "true" ]] && collect=(--collect)
  kd exec "${common[@]}" "${summary[@]}" "${collect[@]}" -- "${command[@]}"
  exit $?
fi

if [[ -n "${KD_LOG_FILE:-}" ]]; then
  read -r -a source <<< "$KD_LOG_FILE"
else
  source=(run "$KD_RUN_ID")
fi

json="${RUNNER_TEMP:-/tmp}/kamal-doctor-$$.json"
# The report as JSON for the step outputs; the job summary is written by this run.
kd "${source[@]}" --format json "${common[@]}" "${summary[@]}" > "$json"
code=$?
if [[ "$code" -ge 2 ]]; then
  cat "$json"
  exit "$code"
fi

if want annotations; then
  kd "${source[@]}" --format github "${common[@]}" --no-summary
else
  kd "${source[@]}" "${common[@]}" --no-summary
fi

node -e '
  const fs = require("fs");
  const { randomBytes } = require("crypto");
  const report = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const root = report.findings.find((f) => f.rootCause) || null;
  const delimiter = `EOF_${randomBytes(12).toString("hex")}`;
  const lines = [
    `outcome=${report.outcome}`,
    `root-cause=${root ? root.ruleId : ""}`,
    `category=${root ? root.category : ""}`,
    `title<<${delimiter}`, root ? root.title.replace(/[\r\n]+/g, " ") : "", delimiter,
  ];
  fs.appendFileSync(process.env.GITHUB_OUTPUT || "/dev/null", lines.join("\n") + "\n");
' "$json"
rm -f "$json"

if [[ -n "${KD_RUN_ID:-}" ]] && { want check-run || want comment; }; then
  post=()
  want check-run && post+=(--check-run)
  want comment && post+=(--comment)
  kd annotate "$KD_RUN_ID" "${post[@]}" "${common[@]}" --no-summary || exit $?
fi

if [[ "${KD_FAIL:-false}" == "true" && "$code" -eq 1 ]]; then exit 1; fi
exit 0
