import { z } from 'zod';
import { ScraperError } from '../errors.js';
import { type CncfProject, findProject, slugify } from '../landscape/cncf-projects.js';
import { MaturitySchema } from '../landscape/landscape-schema.js';
import { parseStackOverflowUrl } from '../landscape/stack-overflow-url.js';
import { parseGitHubRepoUrl } from './github-repo.js';
import {
  type Budget,
  BudgetSchema,
  DEFAULT_BUDGET,
  type PlannedProject,
  type PlannedRepo,
  type PlannedSite,
  type PlannedTag,
  type PlannedWhitepaper,
  type SkippedSource,
  type SourcePlan,
} from './source-plan.js';

const UrlList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (typeof v === 'string' ? [v] : v));

/** Options of {@link planSources}. */
export const PlanOptionsSchema = z.object({
  /** Keep only projects of these maturities. @default all */
  maturity: z.array(MaturitySchema).optional(),
  /** Plan only these projects (names or slugs, any case). Unknown names become issues. */
  projects: z.array(z.string()).optional(),
  /** Budget of every project. @default { maxPages: 500, maxBytes: 50 MiB } */
  budget: BudgetSchema.partial().optional(),
  /** Budget per project (name or slug), over the plan-wide one. */
  projectBudgets: z.record(z.string(), BudgetSchema.partial()).optional(),
  /** BCP 47 tag of the content to fetch. @default 'en' */
  language: z.string().min(1).optional(),
  /**
   * Docs seed URLs per project (name or slug), replacing the landscape's: point a project at a
   * local site in tests, or at a better entry page. `[]` plans no site for the project.
   */
  siteOverrides: z.record(z.string(), UrlList).optional(),
  /** Repositories per project (URLs or `owner/repo`), replacing the landscape's. */
  githubOverrides: z.record(z.string(), UrlList).optional(),
});
/** Options of {@link planSources}. */
export type PlanOptions = z.input<typeof PlanOptionsSchema>;

const CODE_HOSTS = /^(www\.)?(github\.com|gitlab\.com)$/i;
// Hosts whose pages are listings in a catalogue: crawling "the site" would crawl the
// catalogue, not the project's documentation.
const CATALOGUE_HOSTS =
  /^(www\.)?(marketplace\.visualstudio\.com|plugins\.jetbrains\.com|artifacthub\.io|hub\.docker\.com|pypi\.org|npmjs\.com|crates\.io|operatorhub\.io)$/i;

/**
 * Decides what to fetch for each project: its docs site, GitHub repositories, Stack Overflow
 * tags and PDF reports. Pure: no network.
 *
 * - Docs: the seed is `documentation_url` when set, else the homepage unless it is a
 *   GitHub/GitLab page. The scope is the seed's host and directory. A site several projects
 *   share (or one inside another's scope) is planned once, listing every project.
 * - GitHub: `repo_url` and `additional_repos`; anything not on github.com is `skipped`.
 * - Stack Overflow: the tags of `stack_overflow_url`.
 * - PDFs: audit reports and `other_links` whose path ends in `.pdf`.
 *
 * Problems with the options (an unknown project name, a bad override URL) become `issues`.
 *
 * @throws {ScraperError} `invalid-options` when the options do not match {@link PlanOptionsSchema}.
 */
export function planSources(
  projects: readonly CncfProject[],
  options: PlanOptions = {},
): SourcePlan {
  const parsedOptions = PlanOptionsSchema.safeParse(options);
  if (!parsedOptions.success) {
    const first = parsedOptions.error.issues[0];
    throw new ScraperError(
      'invalid-options',
      `planSources: invalid options (${first ? `${first.path.join('.')}: ${first.message}` : 'unknown problem'}); see PlanOptionsSchema.`,
      { cause: parsedOptions.error },
    );
  }
  const opts = parsedOptions.data;
  const issues: string[] = [];
  const skipped: SkippedSource[] = [];
  const language = opts.language ?? 'en';
  const planBudget: Budget = { ...DEFAULT_BUDGET, ...stripUndefined(opts.budget ?? {}) };

  const selected = selectProjects(projects, opts.projects, opts.maturity, issues);
  const byProject = (
    map: Record<string, string[]> | Record<string, Partial<Budget>> | undefined,
    what: string,
  ) => {
    const resolved = new Map<string, unknown>();
    for (const [nameOrSlug, value] of Object.entries(map ?? {})) {
      const project = findProject(projects, nameOrSlug);
      if (project === undefined) {
        issues.push(`${what}: ${unknownProjectMessage(nameOrSlug, projects)}`);
        continue;
      }
      resolved.set(project.name, value);
    }
    return resolved;
  };
  const siteOverrides = byProject(opts.siteOverrides, 'siteOverrides') as Map<string, string[]>;
  const githubOverrides = byProject(opts.githubOverrides, 'githubOverrides') as Map<
    string,
    string[]
  >;
  const budgetOverrides = byProject(opts.projectBudgets, 'projectBudgets') as Map<
    string,
    Partial<Budget>
  >;

  const budgets = new Map<string, Budget>();
  for (const project of selected) {
    budgets.set(project.name, {
      ...planBudget,
      ...stripUndefined(budgetOverrides.get(project.name) ?? {}),
    });
  }
  const budgetOf = (names: string[]): Budget => {
    // A shared unit serves every listed project, so it gets the largest of their budgets.
    let maxPages = 0;
    let maxBytes = 0;
    for (const name of names) {
      const budget = budgets.get(name) ?? planBudget;
      maxPages = Math.max(maxPages, budget.maxPages);
      maxBytes = Math.max(maxBytes, budget.maxBytes);
    }
    return { maxPages, maxBytes };
  };

  const sites = planSites(selected, siteOverrides, skipped, issues);
  const github = planRepos(selected, githubOverrides, skipped);
  const stackOverflow = planTags(selected, skipped);
  const whitepapers = planWhitepapers(selected, skipped);

  const keysByProject = new Map<string, string[]>();
  const finish = <T extends { key: string; projects: string[] }>(units: Map<string, T>) =>
    [...units.values()]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((unit) => {
        for (const name of unit.projects) {
          const keys = keysByProject.get(name) ?? [];
          keys.push(unit.key);
          keysByProject.set(name, keys);
        }
        return unit;
      });

  const plan: SourcePlan = {
    version: 1,
    sites: finish(sites).map(
      (site): PlannedSite => ({
        key: site.key,
        seedUrls: site.seedUrls,
        scope: { hosts: site.hosts, pathPrefix: site.pathPrefix },
        projects: site.projects,
        language,
        budget: budgetOf(site.projects),
      }),
    ),
    github: finish(github).map(
      (repo): PlannedRepo => ({ ...repo, language, budget: budgetOf(repo.projects) }),
    ),
    stackOverflow: finish(stackOverflow).map(
      (tag): PlannedTag => ({ ...tag, language, budget: budgetOf(tag.projects) }),
    ),
    whitepapers: finish(whitepapers).map((pdf): PlannedWhitepaper => ({ ...pdf, language })),
    projects: selected.map(
      (project): PlannedProject => ({
        name: project.name,
        slug: project.slug,
        maturity: project.maturity,
        budget: budgets.get(project.name) ?? planBudget,
        language,
        keys: keysByProject.get(project.name) ?? [],
      }),
    ),
    skipped,
    issues,
  };
  return plan;
}

function selectProjects(
  projects: readonly CncfProject[],
  names: string[] | undefined,
  maturity: CncfProject['maturity'][] | undefined,
  issues: string[],
): CncfProject[] {
  let selected: CncfProject[] = [...projects];
  if (names !== undefined) {
    const wanted = new Set<CncfProject>();
    for (const name of names) {
      const project = findProject(projects, name);
      if (project === undefined) issues.push(unknownProjectMessage(name, projects));
      else wanted.add(project);
    }
    selected = projects.filter((project) => wanted.has(project));
  }
  if (maturity !== undefined) {
    selected = selected.filter((project) => maturity.includes(project.maturity));
  }
  return selected;
}

interface SiteDraft {
  key: string;
  hostKey: string;
  hosts: string[];
  pathPrefix: string;
  seedUrls: string[];
  projects: string[];
}

function planSites(
  selected: CncfProject[],
  overrides: Map<string, string[]>,
  skipped: SkippedSource[],
  issues: string[],
): Map<string, SiteDraft> {
  const candidates: { project: string; seed: URL; hostKey: string; pathPrefix: string }[] = [];
  for (const project of selected) {
    const override = overrides.get(project.name);
    let seeds: string[];
    if (override !== undefined) {
      if (override.length === 0) {
        skipped.push({
          project: project.name,
          source: 'docs-site',
          reason: 'docs site turned off by siteOverrides',
        });
        continue;
      }
      seeds = override;
    } else if (project.documentationUrl) {
      seeds = [project.documentationUrl];
    } else if (hostMatches(project.homepageUrl, CODE_HOSTS)) {
      skipped.push({
        project: project.name,
        source: 'docs-site',
        reason: `homepage ${project.homepageUrl} is a code-hosting page and no documentation_url is set; its docs are read from the repository`,
      });
      continue;
    } else if (hostMatches(project.homepageUrl, CATALOGUE_HOSTS)) {
      skipped.push({
        project: project.name,
        source: 'docs-site',
        reason: `homepage ${project.homepageUrl} is a catalogue listing, not a docs site; set documentation_url or a siteOverrides entry`,
      });
      continue;
    } else {
      seeds = [project.homepageUrl];
    }
    for (const seed of seeds) {
      const url = URL.canParse(seed) ? new URL(seed) : null;
      if (url === null || !/^https?:$/.test(url.protocol)) {
        const message = `docs seed ${JSON.stringify(seed)} of ${project.name} is not an http(s) URL`;
        if (override !== undefined) issues.push(`siteOverrides: ${message}; fix the URL`);
        else skipped.push({ project: project.name, source: 'docs-site', reason: message });
        continue;
      }
      url.hash = '';
      const host = url.host.toLowerCase();
      candidates.push({
        project: project.name,
        seed: url,
        hostKey: host.replace(/^www\./, ''),
        pathPrefix: directoryOf(url.pathname),
      });
    }
  }

  // Shorter prefixes first, so a site nested in another one's scope merges into it.
  candidates.sort(
    (a, b) =>
      a.pathPrefix.length - b.pathPrefix.length ||
      (a.hostKey < b.hostKey ? -1 : a.hostKey > b.hostKey ? 1 : 0),
  );
  const sites = new Map<string, SiteDraft>();
  const hostSites = new Map<string, SiteDraft[]>();
  for (const candidate of candidates) {
    const onHost = hostSites.get(candidate.hostKey) ?? [];
    let site = onHost.find((known) => candidate.pathPrefix.startsWith(known.pathPrefix));
    if (site === undefined) {
      const key = `site:${candidate.hostKey}${candidate.pathPrefix.replace(/\/$/, '')}`;
      site = {
        key,
        hostKey: candidate.hostKey,
        hosts: [],
        pathPrefix: candidate.pathPrefix,
        seedUrls: [],
        projects: [],
      };
      onHost.push(site);
      hostSites.set(candidate.hostKey, onHost);
      sites.set(key, site);
    }
    const host = candidate.seed.host.toLowerCase();
    if (!site.hosts.includes(host)) site.hosts.push(host);
    const seed = candidate.seed.toString();
    if (!site.seedUrls.includes(seed)) site.seedUrls.push(seed);
    if (!site.projects.includes(candidate.project)) site.projects.push(candidate.project);
  }
  return sites;
}

type RepoDraft = Omit<PlannedRepo, 'language' | 'budget'>;

function planRepos(
  selected: CncfProject[],
  overrides: Map<string, string[]>,
  skipped: SkippedSource[],
): Map<string, RepoDraft> {
  const repos = new Map<string, RepoDraft>();
  for (const project of selected) {
    const override = overrides.get(project.name);
    const urls =
      override ??
      [project.repoUrl, ...project.additionalRepos].filter((url): url is string => !!url);
    if (urls.length === 0) {
      skipped.push({
        project: project.name,
        source: 'github',
        reason:
          override === undefined
            ? 'the landscape lists no repository for this project'
            : 'repositories turned off by githubOverrides',
      });
      continue;
    }
    urls.forEach((url, index) => {
      const ref = parseGitHubRepoUrl(url);
      if (ref === null) {
        skipped.push({
          project: project.name,
          source: 'github',
          reason: notGitHubReason(url),
        });
        return;
      }
      const key = `github:${ref.owner}/${ref.repo}`.toLowerCase();
      const known = repos.get(key);
      if (known) {
        if (!known.projects.includes(project.name)) known.projects.push(project.name);
        return;
      }
      const isPrimary = override === undefined && index === 0 && url === project.repoUrl;
      repos.set(key, {
        key,
        owner: ref.owner,
        repo: ref.repo,
        url: `https://github.com/${ref.owner}/${ref.repo}`,
        branch: isPrimary ? project.branch : null,
        projects: [project.name],
      });
    });
  }
  return repos;
}

type TagDraft = Omit<PlannedTag, 'language' | 'budget'>;

function planTags(selected: CncfProject[], skipped: SkippedSource[]): Map<string, TagDraft> {
  const tags = new Map<string, TagDraft>();
  const add = (tagList: string[], match: 'any' | 'all', project: string) => {
    const key = `so:${tagList.join('+')}`;
    const known = tags.get(key);
    if (known) {
      if (!known.projects.includes(project)) known.projects.push(project);
    } else {
      tags.set(key, { key, site: 'stackoverflow', tags: tagList, match, projects: [project] });
    }
  };
  for (const project of selected) {
    if (!project.stackOverflowUrl) continue;
    const query = parseStackOverflowUrl(project.stackOverflowUrl);
    if (query === null) {
      skipped.push({
        project: project.name,
        source: 'stackoverflow',
        reason: `stack_overflow_url ${project.stackOverflowUrl} is not a tag link (…/questions/tagged/<tag>); set one to plan questions`,
      });
      continue;
    }
    // "a or b" is two independent tag listings; "a+b" is one listing that needs both tags.
    if (query.match === 'any') for (const tag of query.tags) add([tag], 'any', project.name);
    else add(query.tags, 'all', project.name);
  }
  return tags;
}

type WhitepaperDraft = Omit<PlannedWhitepaper, 'language'>;

function planWhitepapers(
  selected: CncfProject[],
  skipped: SkippedSource[],
): Map<string, WhitepaperDraft> {
  const pdfs = new Map<string, WhitepaperDraft>();
  const add = (
    project: string,
    sourceUrl: string,
    title: string,
    kind: 'audit' | 'link',
    date: string | null,
  ) => {
    const url = new URL(sourceUrl);
    const key = `pdf:${url.host.toLowerCase()}${url.pathname}`;
    const known = pdfs.get(key);
    if (known) {
      if (!known.projects.includes(project)) known.projects.push(project);
      return;
    }
    pdfs.set(key, {
      key,
      url: downloadUrl(url),
      sourceUrl,
      title,
      kind,
      date,
      projects: [project],
    });
  };
  for (const project of selected) {
    for (const audit of project.audits) {
      if (isPdfUrl(audit.url)) {
        const title = `${audit.vendor} ${audit.type} audit of ${project.name} (${audit.date})`;
        add(project.name, audit.url, title, 'audit', audit.date);
      } else {
        skipped.push({
          project: project.name,
          source: 'whitepaper',
          reason: `${audit.type} audit report ${audit.url} is not a PDF link`,
        });
      }
    }
    for (const link of project.otherLinks) {
      if (isPdfUrl(link.url)) add(project.name, link.url, link.name, 'link', null);
    }
    for (const url of [project.documentationUrl, project.homepageUrl]) {
      if (url && isPdfUrl(url)) add(project.name, url, `${project.name} (PDF)`, 'link', null);
    }
  }
  return pdfs;
}

function isPdfUrl(url: string): boolean {
  return URL.canParse(url) && /\.pdf$/i.test(new URL(url).pathname);
}

/** GitHub `blob/` and `tree/` links show an HTML viewer; the raw URL serves the file itself. */
function downloadUrl(url: URL): string {
  if (/^(www\.)?github\.com$/i.test(url.hostname)) {
    const match = /^\/([^/]+)\/([^/]+)\/(?:blob|tree|raw)\/(.+)$/.exec(url.pathname);
    if (match) return `https://raw.githubusercontent.com/${match[1]}/${match[2]}/${match[3]}`;
  }
  return url.toString();
}

/** The directory a seed URL sits in: `/docs/` for `/docs/`, `/docs` and `/docs/index.html`. */
function directoryOf(pathname: string): string {
  const segments = pathname.split('/');
  const last = segments.at(-1) ?? '';
  if (last.includes('.')) segments.pop();
  else if (last !== '') segments.push('');
  const directory = segments.join('/');
  return directory.startsWith('/') ? directory : `/${directory}`;
}

function hostMatches(url: string, hosts: RegExp): boolean {
  return URL.canParse(url) && hosts.test(new URL(url).hostname);
}

function notGitHubReason(url: string): string {
  if (!URL.canParse(url)) return `${JSON.stringify(url)} is not a URL or owner/repo; fix it`;
  const host = new URL(url).hostname;
  if (/^(www\.)?github\.com$/i.test(host)) {
    return `${url} is a GitHub organisation or user page, not a repository; name a repository to read it`;
  }
  return `${url} is not a GitHub repository (host ${host}); only github.com repositories are read`;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function unknownProjectMessage(name: string, projects: readonly CncfProject[]): string {
  const close = closeMatches(name, projects);
  return close.length > 0
    ? `unknown project "${name}"; did you mean ${close.map((n) => `"${n}"`).join(', ')}?`
    : `unknown project "${name}"; use a CNCF project name or slug from the landscape`;
}

/** Up to three project names near `name`: edit distance on slugs, or containing it. */
function closeMatches(name: string, projects: readonly CncfProject[]): string[] {
  const wanted = slugify(name);
  if (wanted === '') return [];
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return projects
    .map((project) => {
      const distance = editDistance(wanted, project.slug);
      const contains =
        wanted.length >= 3 && (project.slug.includes(wanted) || wanted.includes(project.slug));
      return { name: project.name, score: contains ? Math.min(distance, limit) : distance };
    })
    .filter((candidate) => candidate.score <= limit)
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map((candidate) => candidate.name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
