import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EXCLUSIONS,
  type ExclusionRule,
  ExclusionRuleSchema,
  isExcludedPath,
} from './exclusions.js';

describe('isExcludedPath', () => {
  it.each([
    // Paths as they appear in CNCF repositories.
    ['vendor/github.com/spf13/cobra/README.md', 'vendored dependency (vendor/)'],
    ['server/vendor/go.etcd.io/bbolt/doc.go', 'vendored dependency (vendor/)'],
    ['third_party/forked/golang/LICENSE', 'third-party code (third_party/)'],
    ['web/ui/node_modules/react/README.md', 'installed JavaScript dependency (node_modules/)'],
    [
      'web/ui/node_modules/@codemirror/view/CHANGELOG.md',
      'changelog of a vendored or bundled dependency, not of the project',
    ],
    [
      'vendor/k8s.io/client-go/CHANGELOG-3.md',
      'changelog of a vendored or bundled dependency, not of the project',
    ],
    [
      'deps/jemalloc/ChangeLog',
      'changelog of a vendored or bundled dependency, not of the project',
    ],
    ['api/etcdserverpb/rpc.pb.go', 'generated code'],
    ['pkg/apis/v1/zz_generated.deepcopy.go', 'generated code'],
    ['go.sum', 'dependency lockfile'],
    ['web/ui/package-lock.json', 'dependency lockfile'],
    ['static/js/app.min.js', 'minified asset or source map'],
    ['vendor\\github.com\\x\\y.go', 'vendored dependency (vendor/)'],
    [
      'https://example.io/docs/node_modules/x/index.html',
      'installed JavaScript dependency (node_modules/)',
    ],
  ])('excludes %s', (path, reason) => {
    expect(isExcludedPath(path)).toBe(reason);
  });

  it.each([
    'CHANGELOG.md',
    'CHANGELOG/CHANGELOG-3.5.md',
    'Documentation/op-guide/clustering.md',
    'docs/configuration/configuration.md',
    'content/en/docs/v3.6/learning/api.md',
    'docs/vendoring.md',
    'https://etcd.io/docs/v3.6/op-guide/',
    'https://prometheus.io/docs/prometheus/latest/querying/api/',
  ])('keeps %s', (path) => {
    expect(isExcludedPath(path)).toBeNull();
  });

  it('drops generated API references only when they are large', () => {
    const swagger = 'Documentation/dev-guide/apispec/swagger/rpc.swagger.json';
    const kubectl = 'content/en/docs/reference/generated/kubectl/kubectl-commands.html';
    const k8sApi = 'content/en/docs/reference/kubernetes-api/workload-resources/pod-v1.md';
    for (const path of [swagger, kubectl, k8sApi]) {
      expect(isExcludedPath(path, 2 * 1024 * 1024)).toBe(
        'generated API reference larger than 256 KiB',
      );
      expect(isExcludedPath(path, 12_000)).toBeNull();
      // Without a size the size rule cannot apply.
      expect(isExcludedPath(path)).toBeNull();
    }
    expect(isExcludedPath('docs/operating/security.md', 2 * 1024 * 1024)).toBeNull();
  });

  it('accepts custom rules and keeps the defaults JSON-safe', () => {
    const rules: ExclusionRule[] = [{ name: 'blog', pattern: '(^|/)blog/', reason: 'blog post' }];
    expect(isExcludedPath('content/en/blog/2024/x.md', undefined, rules)).toBe('blog post');
    expect(isExcludedPath('vendor/x.go', undefined, rules)).toBeNull();
    const roundTrip = JSON.parse(JSON.stringify(DEFAULT_EXCLUSIONS)) as unknown[];
    expect(roundTrip.map((rule) => ExclusionRuleSchema.parse(rule))).toEqual(DEFAULT_EXCLUSIONS);
    expect(new Set(DEFAULT_EXCLUSIONS.map((rule) => rule.name)).size).toBe(
      DEFAULT_EXCLUSIONS.length,
    );
  });
});
