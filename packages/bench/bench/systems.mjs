// Derives 16 synthetic "system outputs" from the real reference sentences, with error rates
// from 3% to 33% per word: dropped, substituted and swapped words, case changes, and phrases
// moved elsewhere in the sentence (which exercises TER's shifts). Seeded: always the same files.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeSystem(references, index) {
  const rand = mulberry32(1000 + index);
  const rate = 0.03 + 0.02 * index;
  const vocabulary = references.flatMap((l) => l.split(' ')).filter((w) => w.length > 2);
  return references.map((line) => {
    let words = line.split(' ');
    const out = [];
    for (let i = 0; i < words.length; i++) {
      const r = rand();
      if (r < rate * 0.3) continue;
      if (r < rate * 0.6) out.push(vocabulary[Math.floor(rand() * vocabulary.length)]);
      else if (r < rate * 0.8 && i + 1 < words.length) {
        out.push(words[i + 1], words[i]);
        i++;
      } else if (r < rate) out.push(words[i].toUpperCase());
      else out.push(words[i]);
    }
    words = out;
    if (words.length > 6 && rand() < rate) {
      const start = Math.floor(rand() * (words.length - 3));
      const phrase = words.splice(start, 2 + Math.floor(rand() * 3));
      const to = Math.floor(rand() * (words.length + 1));
      words.splice(to, 0, ...phrase);
    }
    return words.join(' ');
  });
}

/** Writes reference.txt and sys01..sys16.txt into `dir`; returns their paths. */
export function writeBenchFiles(dir, systems = 16) {
  mkdirSync(dir, { recursive: true });
  const refPath = new URL('./data/references.txt', import.meta.url);
  const references = readFileSync(refPath, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const reference = join(dir, 'reference.txt');
  writeFileSync(reference, `${references.join('\n')}\n`);
  const files = [];
  for (let s = 0; s < systems; s++) {
    const file = join(dir, `sys${String(s + 1).padStart(2, '0')}.txt`);
    writeFileSync(file, `${makeSystem(references, s).join('\n')}\n`);
    files.push(file);
  }
  return { reference, systems: files, segments: references.length };
}
