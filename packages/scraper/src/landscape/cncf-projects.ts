import { z } from 'zod';
import { ScraperError } from '../errors.js';
import { type LandscapeItem, type Maturity, MaturitySchema } from './landscape-schema.js';
import type { LandscapeEntry } from './parse-landscape.js';
import { parseStackOverflowUrl } from './stack-overflow-url.js';

const DateString = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/**
 * A CNCF project (a landscape item with `project:`), flattened into the fields the rest of
 * the pipeline needs. Entries of the same project listed twice in the landscape are merged
 * into one.
 */
export const CncfProjectSchema = z.object({
  /** Landscape item name, as written (`etcd`, `Prometheus`). */
  name: z.string(),
  /** kebab-case, unique among all CNCF projects of the landscape (`oauth2-proxy`). */
  slug: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/),
  maturity: MaturitySchema,
  /** Category of the first (primary) listing. */
  category: z.string(),
  /** Subcategory of the first (primary) listing. */
  subcategory: z.string(),
  /** Every place the project is listed: the primary one first, then `second_path` and duplicates. */
  placements: z.array(z.object({ category: z.string(), subcategory: z.string() })),
  description: z.string().nullable(),
  homepageUrl: z.string(),
  /** Primary repository, or `null` when the landscape names none. */
  repoUrl: z.string().nullable(),
  /** Branch of the primary repository, when the landscape pins one. */
  branch: z.string().nullable(),
  additionalRepos: z.array(z.string()),
  /** `extra.documentation_url` (or its misspelling `documentation_ul`). */
  documentationUrl: z.string().nullable(),
  stackOverflowUrl: z.string().nullable(),
  /** Tags read from `stackOverflowUrl`; empty when it is not a tag link. */
  stackOverflowTags: z.array(z.string()),
  parentProject: z.string().nullable(),
  /** Names of landscape items whose `extra.parent_project` is this project (Hubble → Cilium). */
  subprojects: z.array(z.string()),
  dates: z.object({
    accepted: DateString.optional(),
    incubating: DateString.optional(),
    graduated: DateString.optional(),
    archived: DateString.optional(),
  }),
  clomonitorName: z.string().nullable(),
  lfxSlug: z.string().nullable(),
  otherLinks: z.array(z.object({ name: z.string(), url: z.string() })),
  audits: z.array(
    z.object({ date: DateString, type: z.string(), url: z.string(), vendor: z.string() }),
  ),
  /** Logo file name in the landscape's `hosted_logos/`. */
  logo: z.string(),
  /** The landscape's `summary_*` texts; lists are split at commas. */
  summary: z.object({
    useCase: z.string().nullable(),
    businessUseCase: z.string().nullable(),
    integrations: z.string().nullable(),
    releaseRate: z.string().nullable(),
    introUrl: z.string().nullable(),
    personas: z.array(z.string()),
    tags: z.array(z.string()),
  }),
});
/** A CNCF project. */
export type CncfProject = z.infer<typeof CncfProjectSchema>;

/** Options of {@link cncfProjects}. */
export interface CncfProjectsOptions {
  /** Keep only these maturities. @default all four */
  maturity?: Maturity[];
}

/**
 * The CNCF projects of a parsed landscape, in file order.
 *
 * Items without `project:` are not projects, but an item with the same name as a project and
 * the same repository or homepage (Kgateway is listed twice, once without `project:`) is
 * merged into it as another placement. Slugs are assigned over all projects before the
 * maturity filter, so a project keeps its slug whatever the filter.
 *
 * @throws {ScraperError} `invalid-options` for an unknown maturity.
 */
export function cncfProjects(
  parsed: { items: readonly LandscapeEntry[] },
  options: CncfProjectsOptions = {},
): CncfProject[] {
  const maturity = z.array(MaturitySchema).optional().safeParse(options.maturity);
  if (!maturity.success) {
    throw new ScraperError(
      'invalid-options',
      `cncfProjects: maturity must be a list of ${MaturitySchema.options.join(', ')}; got ${JSON.stringify(options.maturity)}.`,
    );
  }

  const byName = new Map<string, LandscapeEntry[]>();
  for (const entry of parsed.items) {
    const key = entry.item.name.trim().toLowerCase();
    const list = byName.get(key);
    if (list) list.push(entry);
    else byName.set(key, [entry]);
  }
  const children = new Map<string, string[]>();
  for (const { item } of parsed.items) {
    const parent = item.extra?.parent_project?.trim().toLowerCase();
    if (!parent) continue;
    const list = children.get(parent) ?? [];
    if (!list.includes(item.name)) list.push(item.name);
    children.set(parent, list);
  }

  const usedSlugs = new Set<string>();
  const projects: CncfProject[] = [];
  const seen = new Set<string>();
  for (const entry of parsed.items) {
    if (entry.item.project === undefined) continue;
    const key = entry.item.name.trim().toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const group = byName.get(key) ?? [entry];
    const others = group.filter((other) => other !== entry && sameProject(entry.item, other.item));
    projects.push(toProject(entry, others, uniqueSlug(entry.item.name, usedSlugs), children));
  }
  const wanted = maturity.data;
  return wanted === undefined ? projects : projects.filter((p) => wanted.includes(p.maturity));
}

/**
 * Finds a project by name or slug, ignoring case, spaces and punctuation
 * (`"OAuth2 Proxy"`, `"oauth2-proxy"` and `"oauth2 proxy"` all match).
 */
export function findProject(
  projects: readonly CncfProject[],
  nameOrSlug: string,
): CncfProject | undefined {
  const wanted = nameOrSlug.trim().toLowerCase();
  if (wanted === '') return undefined;
  const wantedSlug = slugify(nameOrSlug);
  return (
    projects.find((p) => p.name.toLowerCase() === wanted) ??
    projects.find((p) => p.slug === wanted) ??
    projects.find((p) => wantedSlug !== '' && p.slug === wantedSlug)
  );
}

/** kebab-case ASCII form of a name: `"Emissary-Ingress"` → `emissary-ingress`. */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function uniqueSlug(name: string, used: Set<string>): string {
  const base = slugify(name) || 'project';
  let slug = base;
  for (let n = 2; used.has(slug); n++) slug = `${base}-${n}`;
  used.add(slug);
  return slug;
}

function sameProject(a: LandscapeItem, b: LandscapeItem): boolean {
  if (b.project !== undefined) return true;
  if (a.repo_url && b.repo_url && sameUrl(a.repo_url, b.repo_url)) return true;
  return hostOf(a.homepage_url) !== null && hostOf(a.homepage_url) === hostOf(b.homepage_url);
}

function toProject(
  primary: LandscapeEntry,
  others: LandscapeEntry[],
  slug: string,
  children: Map<string, string[]>,
): CncfProject {
  const item = primary.item;
  const all = [primary, ...others];
  const extras = all.map((entry) => entry.item.extra ?? {});
  // The primary listing wins; a duplicate only fills what the primary leaves out.
  const firstOf = <T>(pick: (extra: NonNullable<LandscapeItem['extra']>) => T | undefined) => {
    for (const extra of extras) {
      const value = pick(extra);
      if (value !== undefined && value !== null && value !== '') return value;
    }
    return undefined;
  };

  const placements: CncfProject['placements'] = [];
  const place = (category: string, subcategory: string) => {
    if (!placements.some((p) => p.category === category && p.subcategory === subcategory)) {
      placements.push({ category, subcategory });
    }
  };
  for (const entry of all) {
    place(entry.category, entry.subcategory);
    for (const path of entry.item.second_path ?? []) {
      const [category, ...rest] = path.split('/');
      const subcategory = rest.join('/').trim();
      if (category?.trim() && subcategory) place(category.trim(), subcategory);
    }
  }

  const repoUrl = item.repo_url ?? others.find((o) => o.item.repo_url)?.item.repo_url ?? null;
  const additionalRepos: string[] = [];
  const addRepo = (url: string | undefined) => {
    if (!url) return;
    if (repoUrl !== null && sameUrl(url, repoUrl)) return;
    if (additionalRepos.some((known) => sameUrl(known, url))) return;
    additionalRepos.push(url);
  };
  for (const entry of all) {
    addRepo(entry.item.repo_url);
    for (const repo of entry.item.additional_repos ?? []) addRepo(repo.repo_url);
  }

  const stackOverflowUrl = firstOf((e) => e.stack_overflow_url) ?? null;
  const dates: CncfProject['dates'] = {};
  for (const stage of ['accepted', 'incubating', 'graduated', 'archived'] as const) {
    const date = firstOf((e) => e[stage]);
    if (date !== undefined) dates[stage] = date;
  }

  return {
    name: item.name,
    slug,
    maturity: item.project ?? 'sandbox',
    category: primary.category,
    subcategory: primary.subcategory,
    placements,
    description:
      item.description ?? others.find((o) => o.item.description)?.item.description ?? null,
    homepageUrl: item.homepage_url,
    repoUrl,
    branch: item.branch ?? null,
    additionalRepos,
    documentationUrl: firstOf((e) => e.documentation_url) ?? null,
    stackOverflowUrl,
    stackOverflowTags: stackOverflowUrl
      ? (parseStackOverflowUrl(stackOverflowUrl)?.tags ?? [])
      : [],
    parentProject: firstOf((e) => e.parent_project) ?? null,
    subprojects: children.get(item.name.trim().toLowerCase()) ?? [],
    dates,
    clomonitorName: firstOf((e) => e.clomonitor_name) ?? null,
    lfxSlug: firstOf((e) => e.lfx_slug) ?? null,
    otherLinks: (firstOf((e) => e.other_links) ?? []).map(({ name, url }) => ({ name, url })),
    audits: (firstOf((e) => e.audits) ?? []).map(({ date, type, url, vendor }) => ({
      date,
      type,
      url,
      vendor,
    })),
    logo: item.logo,
    summary: {
      useCase: firstOf((e) => e.summary_use_case)?.trim() ?? null,
      businessUseCase: firstOf((e) => e.summary_business_use_case)?.trim() ?? null,
      integrations: firstOf((e) => e.summary_integrations)?.trim() ?? null,
      releaseRate: firstOf((e) => e.summary_release_rate)?.trim() ?? null,
      introUrl: firstOf((e) => e.summary_intro_url)?.trim() ?? null,
      personas: splitList(firstOf((e) => e.summary_personas)),
      tags: splitList(firstOf((e) => e.summary_tags)),
    },
  };
}

function splitList(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function hostOf(url: string): string | null {
  if (!URL.canParse(url)) return null;
  return new URL(url).hostname.toLowerCase().replace(/^www\./, '');
}

function sameUrl(a: string, b: string): boolean {
  const norm = (url: string) =>
    url
      .trim()
      .toLowerCase()
      .replace(/^http:/, 'https:')
      .replace(/\.git$/, '')
      .replace(/\/+$/, '');
  return norm(a) === norm(b);
}
