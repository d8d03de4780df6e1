/** A GitHub repository named by owner and name. */
export interface GitHubRepoRef {
  owner: string;
  repo: string;
}

// First path segments of github.com that are pages, not owners.
const NOT_OWNERS = new Set([
  'about',
  'apps',
  'collections',
  'enterprise',
  'explore',
  'features',
  'marketplace',
  'orgs',
  'settings',
  'sponsors',
  'topics',
  'users',
]);

const NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Reads owner and repository from a GitHub URL (`https://github.com/etcd-io/etcd`,
 * `http://github.com/o/r.git`, `https://github.com/o/r/tree/main/docs`) or an `owner/repo`
 * shorthand. Returns `null` for other hosts and for GitHub URLs that name no repository
 * (an organisation page such as `https://github.com/getsops`).
 */
export function parseGitHubRepoUrl(url: string): GitHubRepoRef | null {
  const text = url.trim();
  let segments: string[];
  if (/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(text)) {
    segments = text.split('/');
  } else {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
    if (!URL.canParse(withScheme)) return null;
    const parsed = new URL(withScheme);
    if (!/^https?:$/.test(parsed.protocol)) return null;
    if (!/^(www\.)?github\.com$/i.test(parsed.hostname)) return null;
    segments = parsed.pathname.split('/').filter((segment) => segment !== '');
  }
  const [owner, rawRepo] = segments;
  if (owner === undefined || rawRepo === undefined) return null;
  const repo = rawRepo.replace(/\.git$/i, '');
  if (!NAME.test(owner) || !NAME.test(repo) || repo === '' || repo === '.' || repo === '..') {
    return null;
  }
  if (NOT_OWNERS.has(owner.toLowerCase())) return null;
  return { owner, repo };
}
