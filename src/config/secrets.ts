// The names a dotenv secrets file defines (.kamal/secrets, -common, .DEST), and nothing else.
// Values are read only to know where they end (a quoted value may span lines): they are never
// copied, kept or returned.

export interface SecretName {
  name: string;
  line: number;
}

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*(?:=|:\s)/;

export function secretNames(text: string): SecretName[] {
  const names: SecretName[] = [];
  const lines = text.split(/\r?\n/);
  let quote: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (quote !== null) {
      if (closes(line, quote, 0)) quote = null;
      continue;
    }
    const match = ASSIGNMENT.exec(line);
    if (!match?.[1]) continue;
    names.push({ name: match[1], line: i + 1 });
    const rest = line.slice(match[0].length).trimStart();
    const first = rest[0];
    if ((first === '"' || first === "'") && !closes(rest, first, 1)) quote = first;
  }
  return names;
}

/** Whether `quote` closes in `text` from `from` on (a backslash escapes inside double quotes). */
function closes(text: string, quote: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    if (quote === '"' && text[i] === "\\") i++;
    else if (text[i] === quote) return true;
  }
  return false;
}
