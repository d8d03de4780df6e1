import { stringify, type Tags } from 'yaml';

/**
 * A number as PyYAML (YAML 1.1) reads it back as a number: YAML 1.1 only takes `1.0e-05` as a
 * float, so `1e-5` (what JavaScript prints) would reach the trainer as the string "1e-5".
 */
function pyYamlNumber(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const text = String(value);
  if (!text.includes('e')) return text;
  let [mantissa = '', exponent = ''] = text.split('e');
  if (!mantissa.includes('.')) mantissa += '.0';
  if (!/^[-+]/.test(exponent)) exponent = `+${exponent}`;
  return `${mantissa}e${exponent}`;
}

const numberTags = (tags: Tags): Tags =>
  tags.map((tag) => {
    if (typeof tag !== 'object' || !('tag' in tag)) return tag;
    if (tag.tag !== 'tag:yaml.org,2002:float' && tag.tag !== 'tag:yaml.org,2002:int') return tag;
    const fallback = tag.stringify;
    return {
      ...tag,
      stringify(item, ctx, onComment, onChompKeep) {
        const text = pyYamlNumber(Number(item.value));
        if (text !== undefined) return text;
        return fallback ? fallback(item, ctx, onComment, onChompKeep) : String(item.value);
      },
    } as typeof tag;
  });

/**
 * YAML text for a trainer config, written for PyYAML (what `trl` and `axolotl` load configs
 * with): YAML 1.1 quoting, so strings such as `yes`, `on` or `123` stay strings, and floats that
 * round-trip as floats. `header` lines become `#` comments at the top.
 */
export function toPyYaml(value: unknown, header: readonly string[] = []): string {
  const body = stringify(value, { version: '1.1', customTags: numberTags, lineWidth: 0 });
  const comments = header.map((line) => `# ${line}`.trimEnd()).join('\n');
  return comments ? `${comments}\n${body}` : body;
}
