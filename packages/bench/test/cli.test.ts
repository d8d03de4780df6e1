import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScoreCli } from '../src/cli/score-command.js';
import { SIGNATURE_VERSION } from '../src/version.js';

const significance = new URL('./fixtures/significance/', import.meta.url).pathname;
const cliFixtures = new URL('./fixtures/cli/', import.meta.url).pathname;
const expected = (name: string) => readFileSync(join(cliFixtures, name), 'utf8');

/** Runs the CLI like a user would, capturing both streams. */
async function cli(args: string[], stdin = '') {
  let stdout = '';
  let stderr = '';
  const code = await runScoreCli(args, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  // Our signatures name this package; sacreBLEU's name its own version.
  return { code, stdout: stdout.replaceAll(SIGNATURE_VERSION, '2.6.0'), stderr };
}

const cwd = process.cwd();
beforeAll(() => process.chdir(significance));
afterAll(() => process.chdir(cwd));

describe('cncf-bench prints what sacreBLEU 2.6.0 prints', () => {
  it('one system, text format: aligned lines with signatures and BLEU details', async () => {
    const r = await cli([
      'reference.txt',
      '-i',
      'system-01.txt',
      '-m',
      'bleu',
      'chrf',
      'ter',
      '-f',
      'text',
      '-w',
      '4',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected('single-text.txt'));
  });

  it('one system, JSON (the default format): sacreBLEU keys plus exact statistics', async () => {
    const r = await cli([
      'reference.txt',
      '-i',
      'system-01.txt',
      '-m',
      'bleu',
      'chrf',
      'ter',
      '-w',
      '2',
    ]);
    const ours = JSON.parse(r.stdout) as Record<string, unknown>[];
    const theirs = JSON.parse(expected('single-json.txt')) as Record<string, unknown>[];
    expect(ours).toHaveLength(3);
    ours.forEach((o, i) => {
      for (const [key, value] of Object.entries(theirs[i]!)) expect(o[key]).toEqual(value);
    });
    expect((ours[0]!.statistics as { counts: number[] }).counts).toHaveLength(4);
    expect(ours[2]!.statistics).toMatchObject({ numEdits: expect.any(Number) });
  });

  it('several systems: one table and the signatures', async () => {
    const r = await cli([
      'reference.txt',
      '-i',
      'system-01.txt',
      'system-02.txt',
      'system-04.txt',
      '-m',
      'bleu',
      'chrf',
      'ter',
      '-f',
      'text',
    ]);
    expect(r.stdout).toBe(expected('multi-text.txt'));
  });

  it('--confidence: bootstrap mean ± CI equal to sacreBLEU at the printed precision', async () => {
    const r = await cli([
      'reference.txt',
      '-i',
      'system-01.txt',
      '-m',
      'bleu',
      'chrf',
      'ter',
      '-f',
      'text',
      '-w',
      '3',
      '--confidence',
      '--confidence-n',
      '100',
    ]);
    expect(r.stdout).toBe(expected('confidence-text.txt'));
  });

  it('--paired-bs: the same table of scores, CIs and p-values, and signatures', async () => {
    const r = await cli([
      'reference.txt',
      '-i',
      'system-01.txt',
      'system-02.txt',
      'system-04.txt',
      '-m',
      'bleu',
      'ter',
      '-f',
      'text',
      '--paired-bs',
      '--paired-bs-n',
      '100',
    ]);
    const table = (s: string) => s.slice(0, s.indexOf('╛') + 1);
    const signatures = (s: string) => s.slice(s.indexOf('Metric signatures'));
    const want = expected('paired-bs.txt');
    expect(table(r.stdout)).toBe(table(want));
    expect(signatures(r.stdout)).toBe(signatures(want));
  });

  it('-sl: one line per segment with effective order', async () => {
    process.chdir(cliFixtures);
    try {
      const r = await cli([
        'ref3.txt',
        '-i',
        'hyp3.txt',
        '-m',
        'bleu',
        '-sl',
        '-f',
        'text',
        '-w',
        '2',
      ]);
      expect(r.stdout).toBe(expected('sentence.txt'));
    } finally {
      process.chdir(significance);
    }
  });

  it("accepts sacreBLEU's multi-letter flags (-tok intl -lc)", async () => {
    process.chdir(cliFixtures);
    try {
      const r = await cli([
        'ref3.txt',
        '-i',
        'hyp3.txt',
        '-m',
        'bleu',
        '-tok',
        'intl',
        '-lc',
        '-f',
        'text',
        '-w',
        '3',
      ]);
      expect(r.stdout).toBe(expected('alias-intl-lc.txt'));
    } finally {
      process.chdir(significance);
    }
  });
});

describe('cncf-bench input handling', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cncf-bench-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads systems from stdin, tab-separated, when -i is absent', async () => {
    const ref = readFileSync('reference.txt', 'utf8').split('\n').slice(0, 50);
    const a = readFileSync('system-01.txt', 'utf8').split('\n').slice(0, 50);
    const b = readFileSync('system-02.txt', 'utf8').split('\n').slice(0, 50);
    const refPath = file('ref50.txt', `${ref.join('\n')}\n`);
    const aPath = file('a50.txt', `${a.join('\n')}\n`);
    const bPath = file('b50.txt', `${b.join('\n')}\n`);
    const stdin = `${a.map((line, i) => `${line}\t${b[i]}`).join('\n')}\n`;
    const piped = await cli([refPath, '-m', 'bleu', 'ter', '-f', 'json'], stdin);
    const files = await cli([refPath, '-i', aPath, bPath, '-m', 'bleu', 'ter', '-f', 'json']);
    const rows = JSON.parse(piped.stdout);
    expect(rows.map((r: { system: string }) => r.system)).toEqual(['System 1', 'System 2']);
    expect(rows.map((r: { BLEU: unknown }) => r.BLEU)).toEqual(
      JSON.parse(files.stdout).map((r: { BLEU: unknown }) => r.BLEU),
    );
  });

  it('scores CRLF files exactly like LF files, and keeps empty lines as segments', async () => {
    const ref = file('crlf-ref.txt', 'The cat sat.\r\n\r\nA dog barked.\r\n');
    const hyp = file('crlf-hyp.txt', 'The cat sat.\r\n\r\nA dog barks.\r\n');
    const refLf = file('lf-ref.txt', 'The cat sat.\n\nA dog barked.\n');
    const hypLf = file('lf-hyp.txt', 'The cat sat.\n\nA dog barks.\n');
    const crlf = await cli([ref, '-i', hyp, '-m', 'bleu', 'chrf', 'ter', '-f', 'json']);
    const lf = await cli([refLf, '-i', hypLf, '-m', 'bleu', 'chrf', 'ter', '-f', 'json']);
    expect(crlf.code).toBe(0);
    expect(crlf.stdout).toBe(lf.stdout);
    expect(JSON.parse(crlf.stdout)[0].statistics.sysLen).toBe(8);
  });

  it('names both files and their lengths when they differ', async () => {
    const ref = file('three.txt', 'a\nb\nc\n');
    const hyp = file('two.txt', 'a\nb\n');
    const r = await cli([ref, '-i', hyp]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`system ${hyp} ended after 2 lines`);
    expect(r.stderr).toContain(`reference ${ref} has more`);
  });

  it('refuses invalid UTF-8 with the file, the line and the byte', async () => {
    const ref = file('ok.txt', 'caf\u00e9\nline two\n');
    const hyp = file('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x6c, 0x0a]));
    const r = await cli([ref, '-i', hyp]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${hyp}, line 1: not valid UTF-8 (byte 0xe9 at byte offset 3)`);
  });

  it('says which file is missing', async () => {
    const r = await cli([join(dir, 'nope.txt'), '-i', join(dir, 'also-nope.txt')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read reference file '.*nope\.txt' \(ENOENT\)/);
  });

  it('rejects unknown metrics and conflicting tests before reading anything', async () => {
    expect((await cli(['reference.txt', '-i', 'system-01.txt', '-m', 'meteor'])).stderr).toContain(
      "argument 'meteor' is invalid",
    );
    const both = await cli([
      'reference.txt',
      '-i',
      'system-01.txt',
      'system-02.txt',
      '--paired-bs',
      '--paired-ar',
    ]);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/cannot be used with/);
  });

  it('splits tab-separated references with --num-refs and checks the count per line', async () => {
    const refs = file('two-refs.txt', 'The cat sat.\tA cat sat.\nHello.\tHi.\n');
    const hyp = file('two-refs-hyp.txt', 'A cat sat.\nHi.\n');
    const ok = await cli([refs, '-i', hyp, '-nr', '2', '-m', 'bleu', '-f', 'json']);
    expect(JSON.parse(ok.stdout).nrefs).toBe('2');
    expect(JSON.parse(ok.stdout).score).toBe(100);
    const bad = await cli([file('bad-refs.txt', 'one\tref\nonly-one\n'), '-i', hyp, '-nr', '2']);
    expect(bad.stderr).toContain('line 2: expected 2 tab-separated references but found 1');
  });
});
