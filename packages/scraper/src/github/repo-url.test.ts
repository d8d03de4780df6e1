import { describe, expect, it } from 'vitest';
import { parseRepoUrl } from './repo-url.js';

describe('parseRepoUrl', () => {
  it.each([
    ['https://github.com/etcd-io/etcd', 'etcd-io', 'etcd'],
    ['https://github.com/etcd-io/etcd/', 'etcd-io', 'etcd'],
    ['https://github.com/etcd-io/etcd.git', 'etcd-io', 'etcd'],
    ['https://www.github.com/prometheus/docs//', 'prometheus', 'docs'],
    [
      'https://github.com/prometheus/prometheus/tree/main/docs/querying',
      'prometheus',
      'prometheus',
    ],
    ['https://github.com/cncf/tag-security/blob/main/README.md#top', 'cncf', 'tag-security'],
    ['github.com/kubernetes/website', 'kubernetes', 'website'],
    ['git@github.com:helm/helm.git', 'helm', 'helm'],
    ['ssh://git@github.com/fluxcd/flux2.git', 'fluxcd', 'flux2'],
    [
      '  http://github.com/open-telemetry/opentelemetry.io?tab=readme  ',
      'open-telemetry',
      'opentelemetry.io',
    ],
  ])('reads %s', (url, owner, repo) => {
    expect(parseRepoUrl(url)).toEqual({ owner, repo });
  });

  it.each([
    'https://gitlab.com/gitlab-org/gitlab',
    'https://bitbucket.org/atlassian/python-bitbucket',
    'https://git.example.org/team/project',
    'https://github.com/etcd-io',
    'https://github.com/orgs/cncf/repositories',
    'https://github.com/',
    'not a url at all',
    '',
    'ftp://github.com/a/b',
  ])('gives null for %s', (url) => {
    expect(parseRepoUrl(url)).toBeNull();
  });
});
