// deploy.yml as a tree that remembers where every key was written: file and line for each key,
// anchors and aliases (and `<<` merge keys) resolved, ERB never evaluated. A value written with
// ERB, or under an ERB condition, is marked `erb` — unknown — so no check asserts on it.
// Destination files are merged the way Kamal merges them (ActiveSupport `deep_merge!`: maps
// merge key by key, anything else is replaced).

import { rubyPlainScalar } from "./ruby-yaml.js";
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";

export interface Origin {
  file: string;
  line: number;
}

export type ConfigNode = MapNode | SeqNode | ScalarNode;

interface BaseNode extends Origin {
  /** Written with ERB (or under an ERB condition): its value is not known without running Ruby. */
  erb: boolean;
}

export interface MapNode extends BaseNode {
  kind: "map";
  entries: Map<string, Entry>;
}

export interface SeqNode extends BaseNode {
  kind: "seq";
  items: ConfigNode[];
}

export interface ScalarNode extends BaseNode {
  kind: "scalar";
  value: string | number | boolean | null;
  /** A Ruby Float, not an Integer (`30.0`). */
  float?: boolean;
}

export interface Entry {
  key: string;
  /** Where the key itself is written. */
  origin: Origin;
  node: ConfigNode;
}

/** A file's lines as written, for quoting a key's line in evidence. */
export interface SourceFile {
  path: string;
  lines: string[];
}

export class ConfigSyntaxError extends Error {}

const PLACEHOLDER = "__kamal_doctor_erb__";

/**
 * Parses one YAML file. ERB output tags become a placeholder (so the YAML still parses), ERB
 * control lines (`<% if … %>`) are blanked and what they guard is marked unknown.
 */
export function parseConfigFile(path: string, text: string): { root: MapNode; source: SourceFile } {
  const { yaml, lineOf, guarded } = stripErb(text);
  const lineCounter = new LineCounter();
  const doc = parseDocument(yaml, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const line = lineOf(lineCounter.linePos(error.pos[0]).line);
    throw new ConfigSyntaxError(`${path}:${line}: not valid YAML: ${error.message.split("\n")[0]}`);
  }
  const sourceLines = text.split(/\r?\n/);
  const build = (node: unknown, inherited: boolean, depth: number): ConfigNode => {
    const yamlLine = lineCounter.linePos(rangeStart(node)).line;
    const line = lineOf(yamlLine);
    const origin = { file: path, line };
    // A container under an ERB condition is still there; only its guarded items are unknown.
    const erb = inherited || (guarded.has(line) && !isMap(node) && !isSeq(node));
    if (depth > 64) return { kind: "scalar", value: null, erb: true, ...origin };
    if (isAlias(node)) return build(node.resolve(doc), erb, depth + 1);
    if (isMap(node)) {
      const entries = new Map<string, Entry>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyLine = lineOf(lineCounter.linePos(rangeStart(pair.key)).line);
        if (key === "<<") {
          // A merge key: the aliased maps give defaults that the map's own keys override.
          const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
          for (const sourceNode of sources) {
            const merged = build(sourceNode, erb, depth + 1);
            if (merged.kind !== "map") continue;
            for (const [k, entry] of merged.entries) if (!entries.has(k)) entries.set(k, entry);
          }
          continue;
        }
        const keyErb = erb || key.includes(PLACEHOLDER) || guarded.has(keyLine);
        const value = pair.value === null ? { kind: "scalar" as const, value: null, erb: keyErb, file: path, line: keyLine } : build(pair.value, keyErb, depth + 1);
        entries.set(key, { key, origin: { file: path, line: keyLine }, node: value });
      }
      return { kind: "map", entries, erb, ...origin };
    }
    if (isSeq(node)) {
      // A list with an unknown item is unknown as a whole; its known items stay known.
      const items = node.items.map((item) => build(item, erb, depth + 1));
      return { kind: "seq", items, erb: erb || items.some((item) => item.erb), ...origin };
    }
    if (isScalar(node)) {
      // Unquoted, a scalar is what Ruby's YAML makes of it (`on` is true, `30.0` a float).
      if (node.type === "PLAIN" && typeof node.source === "string") {
        const ruby = rubyPlainScalar(node.source);
        const unknown = erb || (typeof ruby.value === "string" && ruby.value.includes(PLACEHOLDER));
        return { kind: "scalar", value: ruby.value, erb: unknown, ...(ruby.float ? { float: true } : {}), ...origin };
      }
      const raw = node.value;
      const value = typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean" ? raw : raw === null || raw === undefined ? null : String(raw); // eslint-disable-line @typescript-eslint/no-base-to-string -- a Date or a bigint: what else a YAML scalar holds
      return { kind: "scalar", value, erb: erb || (typeof value === "string" && value.includes(PLACEHOLDER)), ...origin };
    }
    return { kind: "scalar", value: null, erb, ...origin };
  };
  const contents = doc.contents as YamlNode | null;
  const root = contents === null ? ({ kind: "map", entries: new Map(), erb: false, file: path, line: 1 } as MapNode) : build(contents, false, 0);
  if (root.kind !== "map") throw new ConfigSyntaxError(`${path}: expected a map of settings at the top, found a ${root.kind === "seq" ? "list" : "single value"}`);
  return { root, source: { path, lines: sourceLines } };
}

function rangeStart(node: unknown): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : 0;
}

/** ERB out of the text, keeping a map from the YAML's lines back to the file's. */
function stripErb(text: string): { yaml: string; lineOf: (yamlLine: number) => number; guarded: Set<number> } {
  const out: string[] = [];
  const origin: number[] = [];
  const guarded = new Set<number>();
  const lines = text.split(/\r?\n/);
  let depth = 0;
  let open: string | null = null;
  let openLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i] ?? "";
    if (open !== null) {
      // Inside a multi-line ERB tag: the rest of the tag is swallowed.
      const end = line.indexOf("%>");
      if (end === -1) {
        open += "\n";
        continue;
      }
      line = out.pop() + line.slice(end + 2);
      origin.pop();
      open = null;
      // The joined line keeps the number of the line the tag began on.
      out.push(line);
      origin.push(openLine);
      continue;
    }
    const control = /^\s*<%-?(?!=)(.*?)-?%>\s*$/.exec(line);
    if (control) {
      const code = control[1] ?? "";
      if (/^\s*(if|unless|case|while|until|for)\b|\bdo\s*(\|[^|]*\|)?\s*$/.test(code)) depth++;
      else if (/^\s*end\b/.test(code)) depth = Math.max(0, depth - 1);
      out.push("");
      origin.push(lineNo);
      continue;
    }
    if (depth > 0) guarded.add(lineNo);
    let replaced = line.replace(/<%[=-]?[\s\S]*?-?%>/g, PLACEHOLDER);
    const start = replaced.indexOf("<%");
    if (start !== -1) {
      open = replaced.slice(start);
      openLine = lineNo;
      replaced = replaced.slice(0, start) + PLACEHOLDER;
    }
    out.push(replaced);
    origin.push(lineNo);
  }
  return { yaml: out.join("\n"), lineOf: (yamlLine) => origin[yamlLine - 1] ?? yamlLine, guarded };
}

/** Kamal's merge of a destination file over the base: maps merge recursively, the rest replaces. */
export function deepMerge(base: MapNode, over: MapNode): MapNode {
  const entries = new Map(base.entries);
  for (const [key, entry] of over.entries) {
    const existing = entries.get(key);
    if (existing && existing.node.kind === "map" && entry.node.kind === "map") {
      entries.set(key, { ...entry, node: deepMerge(existing.node, entry.node) });
    } else entries.set(key, entry);
  }
  return { ...base, entries };
}

/** The entry at a dotted path (`proxy.healthcheck.path`), if every step is a map. */
export function entryAt(root: MapNode, path: string): Entry | undefined {
  let node: ConfigNode = root;
  let found: Entry | undefined;
  for (const part of path.split(".")) {
    if (node.kind !== "map") return undefined;
    found = node.entries.get(part);
    if (!found) return undefined;
    node = found.node;
  }
  return found;
}

/** A scalar's value when it is known (not ERB), else undefined. */
export function knownScalar(node: ConfigNode | undefined): string | number | boolean | null | undefined {
  if (!node || node.erb || node.kind !== "scalar") return undefined;
  return node.value;
}

/** Strings of a scalar or a list of scalars, known ones only; undefined when any is unknown. */
export function knownStrings(node: ConfigNode | undefined): string[] | undefined {
  if (!node || node.erb) return undefined;
  if (node.kind === "scalar") return node.value === null ? [] : [String(node.value)];
  if (node.kind === "seq") {
    const out: string[] = [];
    for (const item of node.items) {
      if (item.erb || item.kind !== "scalar") return undefined;
      if (item.value !== null) out.push(String(item.value));
    }
    return out;
  }
  return undefined;
}
