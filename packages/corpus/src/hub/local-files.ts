import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { CorpusError } from '../errors.js';
import { DigestHasher, type FileDigests } from './git-hash.js';

/** A file of a local dataset folder. */
export interface LocalFile {
  /** Repository path: relative to the folder, `/`-separated. */
  path: string;
  absolutePath: string;
  bytes: number;
}

/** Suffix of the temporary files a pull writes before renaming them into place. */
export const PARTIAL_SUFFIX = '.corpus-partial';

/**
 * Every regular file under `dir`, sorted by repository path (code-unit order, the same on
 * every machine). Skips `.git` folders, symbolic links (following one could publish a file
 * from outside the folder) and leftovers of an interrupted pull.
 *
 * @throws CorpusError `invalid-input` when `dir` is not a readable folder.
 */
export async function listLocalFiles(dir: string): Promise<LocalFile[]> {
  const files: LocalFile[] = [];
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    for (const entry of entries) {
      const absolutePath = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.git') await walk(absolutePath);
      } else if (entry.isFile() && !entry.name.endsWith(PARTIAL_SUFFIX)) {
        const { size } = await stat(absolutePath);
        files.push({
          path: relative(dir, absolutePath).split(sep).join('/'),
          absolutePath,
          bytes: size,
        });
      }
    }
  };
  try {
    await walk(dir);
  } catch (error) {
    throw new CorpusError(
      'invalid-input',
      `Cannot read the dataset folder ${dir}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return files.sort((a, b) => compareCodeUnits(a.path, b.path));
}

/** SHA-256 and git blob SHA-1 of a file, streamed. */
export async function hashFile(absolutePath: string, bytes: number): Promise<FileDigests> {
  const hasher = new DigestHasher(bytes);
  for await (const chunk of createReadStream(absolutePath)) hasher.update(chunk as Buffer);
  return hasher.digest();
}

/** Plain code-unit order: locale-independent, so every machine commits in the same order. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
