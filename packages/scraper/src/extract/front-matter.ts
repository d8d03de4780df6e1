import { parse as parseYaml } from 'yaml';
import { type JsonValue, toJsonValue } from './json-value.js';
import { parseToml } from './toml.js';

/** Front matter split off a markdown document. */
export interface FrontMatter {
  /** The parsed front matter (`{}` when there is none or it cannot be read). */
  data: Record<string, JsonValue>;
  /** The document after the front matter. */
  body: string;
  /** `front-matter-invalid: …` when the block was there but could not be parsed. */
  warnings: string[];
}

const YAML_BLOCK = /^---[ \t]*\n([\s\S]*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/;
const YAML_EMPTY = /^---[ \t]*\n(?:---|\.\.\.)[ \t]*(?:\n|$)/;
const TOML_BLOCK = /^\+\+\+[ \t]*\n([\s\S]*?)\n\+\+\+[ \t]*(?:\n|$)/;

/**
 * Splits YAML (`---`) or TOML (`+++`) front matter off the start of a document (`\n` line
 * ends expected) and parses it. A block that does not parse is still removed, so that its
 * text never leaks into the content, and reported in `warnings`.
 */
export function splitFrontMatter(source: string): FrontMatter {
  if (YAML_EMPTY.test(source)) {
    return { data: {}, body: source.replace(YAML_EMPTY, ''), warnings: [] };
  }
  const yaml = YAML_BLOCK.exec(source);
  if (yaml !== null) {
    const body = source.slice(yaml[0].length);
    try {
      return { data: asRecord(parseYaml(yaml[1]!, { maxAliasCount: 100 })), body, warnings: [] };
    } catch (error) {
      return { data: {}, body, warnings: [`front-matter-invalid: ${firstLine(error)}`] };
    }
  }
  const toml = TOML_BLOCK.exec(source);
  if (toml !== null) {
    const body = source.slice(toml[0].length);
    try {
      return { data: asRecord(parseToml(toml[1]!)), body, warnings: [] };
    } catch (error) {
      return { data: {}, body, warnings: [`front-matter-invalid: ${firstLine(error)}`] };
    }
  }
  return { data: {}, body: source, warnings: [] };
}

function asRecord(value: unknown): Record<string, JsonValue> {
  const json = toJsonValue(value);
  return json !== null && typeof json === 'object' && !Array.isArray(json) ? json : {};
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
