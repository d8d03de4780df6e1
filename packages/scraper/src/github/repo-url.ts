/** A GitHub repository named by owner and name. */
export interface RepoRef {
  owner: string;
  repo: string;
}

// First path segments of github.com that are site pages, not users or organisations.
const RESERVED_OWNERS = new Set([
  'about',
  'apps',
  'collections',
  'enterprise',
  'explore',
  'features',
  'login',
  'marketplace',
  'orgs',
  'pricing',
  'settings',
  'sponsors',
  'topics',
  'users',
]);

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Reads the owner and repository out of a GitHub URL. Accepts `https://github.com/o/r`,
 * `www.github.com`, a trailing `.git` or slash, deeper paths such as `/tree/main/docs` or
 * `/blob/…`, a query or fragment, scheme-less `github.com/o/r`, and the `git@github.com:o/r.git`
 * and `ssh://`/`git://` clone forms. Anything else — GitLab, Bitbucket, a self-hosted forge, an
 * owner page without a repository — gives `null`, which callers report as "skipped: not a
 * GitHub repository".
 */
export function parseRepoUrl(url: string): RepoRef | null {
  let text = url.trim();
  const scp = /^[\w.-]+@github\.com:(.+)$/i.exec(text);
  if (scp?.[1] !== undefined) text = `ssh://github.com/${scp[1]}`;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `https://${text}`;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return null;
  }
  if (!['http:', 'https:', 'ssh:', 'git:', 'git+ssh:', 'git+https:'].includes(parsed.protocol)) {
    return null;
  }
  const host = parsed.hostname.toLowerCase();
  if (host !== 'github.com' && host !== 'www.github.com') return null;
  const segments = parsed.pathname.split('/').filter((s) => s !== '');
  const owner = segments[0];
  let repo = segments[1];
  if (owner === undefined || repo === undefined) return null;
  if (repo.toLowerCase().endsWith('.git')) repo = repo.slice(0, -4);
  if (!OWNER.test(owner) || RESERVED_OWNERS.has(owner.toLowerCase())) return null;
  if (!REPO.test(repo) || repo === '.' || repo === '..') return null;
  return { owner, repo };
}
