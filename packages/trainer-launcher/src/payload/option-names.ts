import { z } from 'zod';
import axolotlList from './options/axolotl.json' with { type: 'json' };
import trlList from './options/trl.json' with { type: 'json' };

/** A list of valid config keys for one trainer version, kept in the repo with its source. */
export const OptionNameListSchema = z.object({
  trainer: z.enum(['trl', 'axolotl']),
  package: z.string(),
  version: z.string().optional(),
  /** Where the names come from (package, version, files). */
  source: z.string(),
  /** How the list was made (the script in `tools/`). */
  generatedBy: z.string(),
  options: z.array(z.string()).min(1),
  /** Keys allowed inside list entries of a top-level key (`datasets: [{path, …}]`). */
  nested: z.record(z.string(), z.array(z.string())).default({}),
});

export type OptionNameList = z.infer<typeof OptionNameListSchema>;

/** The trainers a payload can be rendered for. */
export type TrainerName = 'trl' | 'axolotl';

const LISTS: Record<TrainerName, OptionNameList> = {
  trl: OptionNameListSchema.parse(trlList),
  axolotl: OptionNameListSchema.parse(axolotlList),
};

/** The option-name list a rendered config is checked against (with its source). */
export function optionNameList(trainer: TrainerName): OptionNameList {
  return LISTS[trainer];
}

/**
 * Returns the keys of a rendered trainer config that the targeted trainer version does not know
 * (`trl`: trl 1.13's `trl sft` dataclasses; `axolotl`: axolotl's config reference). Keys inside
 * list entries are reported as `datasets[0].name`. An empty array means every key is known.
 */
export function checkOptionNames(config: Record<string, unknown>, trainer: TrainerName): string[] {
  const list = LISTS[trainer];
  const known = new Set(list.options);
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!known.has(key)) {
      unknown.push(key);
      continue;
    }
    const nested = list.nested[key];
    if (nested && Array.isArray(value)) {
      const allowed = new Set(nested);
      value.forEach((entry, index) => {
        if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
          for (const inner of Object.keys(entry)) {
            if (!allowed.has(inner)) unknown.push(`${key}[${index}].${inner}`);
          }
        }
      });
    }
  }
  return unknown;
}
