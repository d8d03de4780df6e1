import { compareVersions, parseVersionedPath } from '@cncf-llm/scraper';

/** Where a URL sits among the versions of a docs page; see {@link versionOf}. */
export interface PageVersion {
  /** The URL with its version segment replaced by `{version}`: the same for every version of the page. */
  page: string;
  /** The version segment as written: `v3.6`. */
  version: string;
}

/**
 * The version of a docs page's URL (`https://etcd.io/docs/v3.5/op-guide/` →
 * `{ page: 'https://etcd.io/docs/{version}/op-guide/', version: 'v3.5' }`), or `null` when its
 * path has no version segment, or when the version is the last segment: a page such as
 * `…/releases/tag/v3.5.0` is about that version, not a copy of a page under it. Uses the
 * scraper's reading of versions, so `latest` and `main` are not versions and `v3.5` =
 * `3.5.0`.
 */
export function versionOf(url: string): PageVersion | null {
  const found = parseVersionedPath(url);
  if (found === null || found.rest === '' || found.rest.startsWith('?')) return null;
  return { page: `${found.root}{version}${found.rest}`, version: found.version };
}

/**
 * Finds the versioned copies among `urls`: URLs that differ only in their docs version
 * segment (`/docs/v3.5/op-guide/` and `/docs/v3.6/op-guide/`) are copies of one page, and all
 * but the newest are obsolete. Returns each obsolete URL mapped to the newest URL of its page
 * (the first one seen, when the newest version appears under several spellings such as `v3.6`
 * and `3.6.0`). URLs without a version, and pages seen in one version only, are absent.
 */
export function collapseVersions(urls: Iterable<string>): Map<string, string> {
  const pages = new Map<string, { newest: string; version: string; urls: string[] }>();
  for (const url of urls) {
    const found = versionOf(url);
    if (found === null) continue;
    const page = pages.get(found.page);
    if (page === undefined) {
      pages.set(found.page, { newest: url, version: found.version, urls: [url] });
      continue;
    }
    page.urls.push(url);
    if (compareVersions(found.version, page.version) > 0) {
      page.newest = url;
      page.version = found.version;
    }
  }
  const obsolete = new Map<string, string>();
  for (const page of pages.values()) {
    for (const url of page.urls) {
      const version = (versionOf(url) as PageVersion).version;
      if (compareVersions(version, page.version) < 0) obsolete.set(url, page.newest);
    }
  }
  return obsolete;
}
