import { describe, expect, it } from 'vitest';
import type { TreeEntry } from './github-client.js';
import { globToRegExp, mayHoldDocFiles, selectDocFiles } from './select-doc-files.js';

const blob = (path: string, size = 2000, mode?: string): TreeEntry => ({
  path,
  type: 'blob',
  sha: '0'.repeat(40),
  size,
  ...(mode === undefined ? {} : { mode }),
});

// Shaped after real CNCF repositories (etcd, prometheus, kubernetes).
const tree: TreeEntry[] = [
  { path: 'Documentation', type: 'tree', sha: '1'.repeat(40) },
  blob('README.md'),
  blob('CHANGELOG.md'),
  blob('server/etcdserver/README'),
  blob('Documentation/op-guide/maintenance.md'),
  blob('docs/index.html'),
  blob('docs/diagrams/architecture.svg'),
  blob('docs/assets/js/search.js'),
  blob('docs/Makefile'),
  blob('docs/whitepaper.pdf', 400_000),
  blob('docs/api-reference/v1.md', 600 * 1024),
  blob('docs/api-reference/index.md', 10 * 1024),
  blob('api/openapi-spec/swagger.json', 3 * 1024 * 1024),
  blob('api/openapi-spec/README.md', 1024),
  blob('pkg/generated/zz_generated.openapi.md', 400 * 1024),
  blob('examples/basic/prometheus.yml'),
  blob('deploy/etcd-example.yaml'),
  blob('deploy/etcd.yaml'),
  blob('vendor/github.com/gogo/protobuf/README.md'),
  blob('third_party/forked/golang/LICENSE.md'),
  blob('web/ui/node_modules/react/README.md'),
  blob('.github/ISSUE_TEMPLATE/bug-report.md'),
  blob('.github/PULL_REQUEST_TEMPLATE.md'),
  blob('.github/SECURITY.md'),
  blob('deps/libuv/CHANGELOG.md'),
  blob('deps/libuv/README.md'),
  blob('docs/huge-dump.md', 6 * 1024 * 1024),
  blob('docs/link.md', 20, '120000'),
  blob('main.go'),
  blob('server/etcdserver/server.go'),
  blob('logo.png'),
  { path: 'contrib/raftexample', type: 'commit', sha: '2'.repeat(40) },
];

describe('selectDocFiles', () => {
  it('takes documentation and says why it drops the rest', () => {
    const { selected, skipped } = selectDocFiles(tree);
    expect(selected.map((e) => e.path)).toEqual([
      'README.md',
      'CHANGELOG.md',
      'server/etcdserver/README',
      'Documentation/op-guide/maintenance.md',
      'docs/index.html',
      'docs/whitepaper.pdf',
      'docs/api-reference/index.md',
      'api/openapi-spec/README.md',
      'examples/basic/prometheus.yml',
      'deploy/etcd-example.yaml',
      '.github/SECURITY.md',
      'deps/libuv/README.md',
    ]);
    const reasons = Object.fromEntries(skipped.map((s) => [s.path, s.reason]));
    expect(reasons).toEqual({
      'docs/diagrams/architecture.svg': 'binary file (.svg); only PDF is read',
      'docs/assets/js/search.js': 'not a documentation format (.js)',
      'docs/Makefile': 'not a documentation format (no extension)',
      'docs/api-reference/v1.md': 'generated API reference (600 KiB > 256 KiB)',
      'pkg/generated/zz_generated.openapi.md': 'generated API reference (400 KiB > 256 KiB)',
      'vendor/github.com/gogo/protobuf/README.md':
        'inside a vendored dependency directory (vendor/)',
      'third_party/forked/golang/LICENSE.md':
        'inside a vendored dependency directory (third_party/)',
      'web/ui/node_modules/react/README.md':
        'inside a vendored dependency directory (web/ui/node_modules/)',
      '.github/ISSUE_TEMPLATE/bug-report.md':
        'GitHub issue/pull-request template or workflow (.github/)',
      '.github/PULL_REQUEST_TEMPLATE.md':
        'GitHub issue/pull-request template or workflow (.github/)',
      'deps/libuv/CHANGELOG.md': 'changelog of a bundled dependency',
      'docs/huge-dump.md': 'too large (6 MiB > 5 MiB)',
      'docs/link.md': 'symbolic link',
    });
    // Source code, images outside docs and plain YAML are not candidates at all.
    const mentioned = new Set([...selected.map((e) => e.path), ...skipped.map((s) => s.path)]);
    for (const path of [
      'main.go',
      'logo.png',
      'deploy/etcd.yaml',
      'api/openapi-spec/swagger.json',
    ]) {
      expect(mentioned.has(path)).toBe(false);
    }
  });

  it('applies include and exclude patterns and a smaller size cap', () => {
    const { selected, skipped } = selectDocFiles(tree, {
      include: ['deploy/*.yaml', /\.go$/],
      exclude: ['CHANGELOG*', 'docs/**'],
      maxFileBytes: 1500,
    });
    const selectedPaths = selected.map((e) => e.path);
    expect(selectedPaths).toEqual(['api/openapi-spec/README.md']);
    const reasons = Object.fromEntries(skipped.map((s) => [s.path, s.reason]));
    expect(reasons['CHANGELOG.md']).toBe('excluded by an exclude pattern');
    expect(reasons['docs/whitepaper.pdf']).toBe('excluded by an exclude pattern');
    expect(reasons['deploy/etcd.yaml']).toBe('too large (2000 B > 1500 B)');
    expect(reasons['main.go']).toBe('too large (2000 B > 1500 B)');
  });

  it('globs match like .gitignore patterns', () => {
    expect(globToRegExp('docs/**').test('docs/a/b/c.md')).toBe(true);
    expect(globToRegExp('docs/**/*.md').test('docs/c.md')).toBe(true);
    expect(globToRegExp('*.{md,rst}').test('guide.rst')).toBe(true);
    expect(globToRegExp('*.md').test('docs/guide.md')).toBe(false);
    expect(globToRegExp('READ?E.md').test('readme.md')).toBe(true);
  });

  it('tells a folder walk which folders cannot hold documentation', () => {
    expect(mayHoldDocFiles('vendor')).toBe(false);
    expect(mayHoldDocFiles('web/ui/node_modules/react')).toBe(false);
    expect(mayHoldDocFiles('Documentation/op-guide')).toBe(true);
  });
});
