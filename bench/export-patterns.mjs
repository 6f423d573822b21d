// Exports the rule catalogue's regexes (dist/rules.json) as pattern files for the benchmark's
// references: `rg -f` (Rust regex syntax, ripgrep) and `grep -E -f` (POSIX ERE, GNU grep).
//
// Rust regex (toRust): named and non-capturing groups become plain groups; \d \w \b keep
// JavaScript's ASCII meaning ([0-9], [0-9A-Za-z_], (?-u:\b)); lazy quantifiers stay; an escaped
// character that is not a Rust metacharacter (\/ \" \`) is written bare; inside a class, [ & ~ -
// are escaped (Rust reads them as nested classes and set operations); `ignoreCase` wraps the
// pattern in (?i:...). Lookarounds have no Rust form: each is dropped with its body, so the
// pattern matches a superset and rg does no less work.
//
// ERE (toEre): the same groups become plain groups, \d \w \s and their negations bracket
// classes, lazy quantifiers greedy ones, `ignoreCase` rules spell each letter as [xX]. A negative
// lookahead is dropped (a superset, the same work for grep); a pattern with any other lookaround
// is skipped.
//
//   node bench/export-patterns.mjs [--syntax rust|ere] [--rules dist/rules.json] [--out .bench/patterns.txt]

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";

const CLASS_ESCAPES = { d: "0-9", w: "[:alnum:]_", s: "[:space:]" };

/** One JS regex source → ERE, or { skip: reason }. */
export function toEre(source, ignoreCase = false) {
  let out = "";
  let notes = [];
  const letter = (ch) => (ignoreCase && /[a-z]/i.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : ch);
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === "\\") {
      const next = source[++i];
      if (next === undefined) return { skip: "trailing backslash" };
      if (next in CLASS_ESCAPES) out += `[${CLASS_ESCAPES[next]}]`;
      else if (next.toLowerCase() in CLASS_ESCAPES) out += `[^${CLASS_ESCAPES[next.toLowerCase()]}]`;
      else if (next === "b" || next === "B") out += `\\${next}`;
      else if (next === "t") out += "\t";
      else if (next === "x") {
        out += String.fromCharCode(parseInt(source.slice(i + 1, i + 3), 16));
        i += 2;
      }
      else if (/[0-9]/.test(next)) return { skip: "backreference" };
      else if (/[a-zA-Z]/.test(next)) return { skip: `escape \\${next}` };
      else if (/[.[\]{}()*+?^$|\\]/.test(next)) out += `\\${next}`;
      else out += next;
      continue;
    }
    if (ch === "[") {
      const parsed = bracketClass(source, i, ignoreCase);
      if (parsed.skip) return parsed;
      out += parsed.ere;
      i = parsed.end;
      continue;
    }
    if (ch === "(" && source[i + 1] === "?") {
      const kind = source[i + 2];
      if (kind === ":") {
        out += "(";
        i += 2;
      } else if (kind === "<" && source[i + 3] !== "=" && source[i + 3] !== "!") {
        const close = source.indexOf(">", i);
        out += "(";
        i = close;
      } else if (kind === "!") {
        // Drop the negative lookahead and its body (balanced parentheses).
        let depth = 0;
        let j = i;
        for (; j < source.length; j++) {
          if (source[j] === "\\") {
            j++;
            continue;
          }
          if (source[j] === "(") depth++;
          else if (source[j] === ")" && --depth === 0) break;
        }
        i = j;
        notes.push("negative lookahead dropped");
      } else {
        return { skip: "lookaround" };
      }
      continue;
    }
    if ((ch === "?" || ch === "+") && /[*+?}]/.test(source[i - 1] ?? "") && source[i - 2] !== "\\") {
      if (ch === "?") continue; // lazy → greedy
    }
    out += letter(ch);
  }
  return { ere: out, notes };
}

/**
 * A JS bracket class from `start` (its '[') → an ERE class. ERE has no escapes inside brackets:
 * a literal ']' goes first, '-' last, \d \w \s become [:classes:]; \n is dropped (grep never sees
 * a newline inside a line).
 */
function bracketClass(source, start, ignoreCase) {
  let j = start + 1;
  const negate = source[j] === "^";
  if (negate) j++;
  const items = [];
  let bracket = false;
  let dash = false;
  let first = true;
  while (j < source.length && (source[j] !== "]" || first)) {
    first = false;
    let c = source[j];
    if (c === "\\") {
      const e = source[++j];
      if (e in CLASS_ESCAPES) {
        items.push(CLASS_ESCAPES[e]);
        j++;
        continue;
      }
      if (e === "n" || e === "r") {
        j++;
        continue;
      }
      if (e === "t") c = "\t";
      else if (e === "x") {
        c = String.fromCharCode(parseInt(source.slice(j + 1, j + 3), 16));
        j += 2;
      } else if (/[a-zA-Z]/.test(e)) return { skip: `class escape \\${e}` };
      else c = e;
    }
    if (c === "]") bracket = true;
    else if (c === "-" && (items.length === 0 || source[j + 1] === "]")) dash = true;
    else if (source[j + 1] === "-" && source[j + 2] !== "]" && j + 2 < source.length) {
      items.push(`${c}-${source[j + 2]}`);
      j += 3;
      continue;
    } else if (ignoreCase && /[a-z]/i.test(c)) items.push(c.toLowerCase() + c.toUpperCase());
    else items.push(c);
    j++;
  }
  if (!negate && items.length === 0 && !bracket && !dash) return { skip: "empty class" };
  if (negate && items.length === 0 && !bracket && !dash) return { ere: ".", end: j };
  return { ere: `[${negate ? "^" : ""}${bracket ? "]" : ""}${items.join("")}${dash ? "-" : ""}]`, end: j };
}

const RUST_META = new Set([..."\\.+*?()|[]{}^$#&-~"]);
const RUST_CLASS_ESCAPES = { d: "0-9", w: "0-9A-Za-z_" };

/** One JS regex source → Rust regex (ripgrep), or { skip: reason }; notes say what was approximated. */
export function toRust(source, ignoreCase = false) {
  let out = "";
  const notes = [];
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === "\\") {
      const next = source[++i];
      if (next === undefined) return { skip: "trailing backslash" };
      if (next in RUST_CLASS_ESCAPES) out += `[${RUST_CLASS_ESCAPES[next]}]`;
      else if (next.toLowerCase() in RUST_CLASS_ESCAPES) out += `[^${RUST_CLASS_ESCAPES[next.toLowerCase()]}]`;
      else if (next === "b" || next === "B") out += `(?-u:\\${next})`;
      else if (next === "x") {
        out += `\\x${source.slice(i + 1, i + 3)}`;
        i += 2;
      } else if (next === "u") {
        out += `\\x{${source.slice(i + 1, i + 5)}}`;
        i += 4;
      } else if (/[0-9]/.test(next)) return { skip: "backreference" };
      else if ("sSntrfv".includes(next)) out += `\\${next}`;
      else if (/[a-zA-Z]/.test(next)) return { skip: `escape \\${next}` };
      else out += RUST_META.has(next) ? `\\${next}` : next;
      continue;
    }
    if (ch === "[") {
      const parsed = rustClass(source, i);
      if (parsed.skip) return parsed;
      out += parsed.rust;
      i = parsed.end;
      continue;
    }
    if (ch === "(" && source[i + 1] === "?") {
      const kind = source[i + 2];
      if (kind === ":") {
        out += "(";
        i += 2;
      } else if (kind === "<" && source[i + 3] !== "=" && source[i + 3] !== "!") {
        out += "(";
        i = source.indexOf(">", i);
      } else if (kind === "=" || kind === "!" || kind === "<") {
        i = groupEnd(source, i);
        notes.push(`${kind === "<" ? "lookbehind" : kind === "=" ? "lookahead" : "negative lookahead"} dropped`);
      } else return { skip: `group (?${kind}` };
      continue;
    }
    if (ch === "{" && !/^\{\d+(,\d*)?\}/.test(source.slice(i))) {
      out += "\\{"; // a literal brace in JS, an error in Rust
      continue;
    }
    out += ch;
  }
  return { rust: ignoreCase ? `(?i:${out})` : out, notes };
}

/** The index of the ')' closing the group opened at `start`. */
function groupEnd(source, start) {
  let depth = 0;
  let inClass = false;
  for (let j = start; j < source.length; j++) {
    const c = source[j];
    if (c === "\\") j++;
    else if (inClass) inClass = c !== "]";
    else if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return j;
  }
  return source.length;
}

/** A JS bracket class from `start` (its '[') → a Rust class. */
function rustClass(source, start) {
  let j = start + 1;
  let out = "[";
  if (source[j] === "^") {
    out += "^";
    j++;
  }
  const body = j;
  for (; j < source.length && (source[j] !== "]" || j === body); j++) {
    const c = source[j];
    if (c === "\\") {
      const e = source[++j];
      if (e in RUST_CLASS_ESCAPES) out += RUST_CLASS_ESCAPES[e];
      else if (e === "s" || e === "n" || e === "r" || e === "t" || e === "b") out += e === "b" ? "\\x08" : `\\${e}`;
      else if (e === "x") {
        out += `\\x${source.slice(j + 1, j + 3)}`;
        j += 2;
      } else if (/[a-zA-Z0-9]/.test(e)) return { skip: `class escape \\${e}` };
      else out += `\\${e}`;
      continue;
    }
    if (c === "]" && j === body) return { skip: "empty class" }; // JS [] / [^]: rare, not translated
    if (c === "-" && (j === body || source[j + 1] === "]")) out += "\\-";
    else if ("[&~".includes(c)) out += `\\${c}`;
    else out += c;
  }
  return { rust: `${out}]`, end: j };
}

export function exportPatterns(rules, syntax = "ere") {
  const patterns = [];
  const skipped = [];
  const notes = [];
  for (const rule of rules) {
    const sources = [...rule.match.any, ...(rule.context?.near ? [rule.context.near] : [])];
    for (const source of sources) {
      const result = (syntax === "rust" ? toRust : toEre)(source, rule.match.ignoreCase === true);
      if (result.skip) skipped.push(`${rule.id}: ${source} (${result.skip})`);
      else {
        patterns.push(result.rust ?? result.ere);
        for (const note of result.notes) notes.push(`${rule.id}: ${note}`);
      }
    }
  }
  return { patterns, skipped, notes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const get = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
  const rules = JSON.parse(readFileSync(get("--rules", "dist/rules.json"), "utf8"));
  const out = get("--out", ".bench/patterns.txt");
  const { patterns, skipped, notes } = exportPatterns(rules, get("--syntax", "ere"));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${patterns.join("\n")}\n`);
  console.log(`${out}: ${patterns.length} patterns from ${rules.length} rules; ${skipped.length} skipped, ${notes.length} translated approximately`);
  for (const line of [...skipped.map((s) => `skipped ${s}`), ...notes]) console.log(`  ${line}`);
}
