import { describe, expect, it } from 'vitest';
import { parseToml, TomlError } from './toml.js';

describe('parseToml', () => {
  it('reads the TOML that Hugo front matter uses', () => {
    const doc = parseToml(
      [
        'title = "Sidecar \\u00e9"',
        "path = 'C:\\docs'",
        'weight = 1_000',
        'ratio = 0.5',
        'date = 2024-05-01T10:00:00Z',
        'draft = true',
        'aliases = [',
        '  "/old/", # a comment',
        '  "/older/",',
        ']',
        'menu.main.weight = 3',
        'author = { name = "Ann", email = "ann@example.org" }',
        'notes = """',
        'first line',
        'second line"""',
        '',
        '[params]',
        'owner = "docs"',
        '',
        '[[cascade]]',
        'type = "docs"',
        '[[cascade]]',
        'type = "blog"',
      ].join('\n'),
    );
    expect(doc).toEqual({
      title: 'Sidecar é',
      path: 'C:\\docs',
      weight: 1000,
      ratio: 0.5,
      date: '2024-05-01T10:00:00Z',
      draft: true,
      aliases: ['/old/', '/older/'],
      menu: { main: { weight: 3 } },
      author: { name: 'Ann', email: 'ann@example.org' },
      notes: 'first line\nsecond line',
      params: { owner: 'docs' },
      cascade: [{ type: 'docs' }, { type: 'blog' }],
    });
  });

  it('reports the line of a syntax error', () => {
    expect(() => parseToml('title = "ok"\nbroken = \n')).toThrow(TomlError);
    expect(() => parseToml('title = "ok"\nbroken = \n')).toThrow(/line 2/);
    expect(() => parseToml('a = "unterminated\nb = 1')).toThrow(/unterminated string/);
  });
});
