import { parseRepoUrl, type RepoRef } from '../github/repo-url.js';

/** A GitHub repository named by owner and name. */
export type GitHubRepoRef = RepoRef;

/**
 * Reads owner and repository from a GitHub URL in any form {@link parseRepoUrl} accepts, or
 * from an `owner/repo` shorthand (as users write overrides). Returns `null` for other hosts and
 * for GitHub URLs that name no repository (an organisation page such as
 * `https://github.com/getsops`).
 */
export function parseGitHubRepoUrl(url: string): GitHubRepoRef | null {
  const text = url.trim();
  return parseRepoUrl(
    /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(text) ? `github.com/${text}` : text,
  );
}
