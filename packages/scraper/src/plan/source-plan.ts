import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SourceTypeSchema } from '../document.js';
import { ScraperError } from '../errors.js';
import { MaturitySchema } from '../landscape/landscape-schema.js';

/** How much one project may take from the web. */
export const BudgetSchema = z.object({
  /** Most pages (or files, or questions) to fetch. */
  maxPages: z.number().int().positive(),
  /** Most response bytes to download. */
  maxBytes: z.number().int().positive(),
});
/** A crawl budget. */
export type Budget = z.infer<typeof BudgetSchema>;

/** Defaults of {@link Budget}: 500 pages, 50 MiB. */
export const DEFAULT_BUDGET: Readonly<Budget> = Object.freeze({
  maxPages: 500,
  maxBytes: 50 * 1024 * 1024,
});

const Key = z.string().regex(/^(site|github|so|pdf):\S+$/);
const Projects = z.array(z.string()).min(1);

/** A documentation site to crawl, possibly shared by several projects. */
export const PlannedSiteSchema = z.object({
  /** `site:<host><path prefix>`, e.g. `site:opentelemetry.io/docs`. */
  key: Key,
  /** Where the crawl starts. */
  seedUrls: z.array(z.httpUrl()).min(1),
  /** Pages are in scope when their host is one of `hosts` and their path starts with `pathPrefix`. */
  scope: z.object({
    hosts: z.array(z.string()).min(1),
    pathPrefix: z.string().startsWith('/'),
  }),
  /** Landscape names of the projects this site documents. */
  projects: Projects,
  language: z.string(),
  budget: BudgetSchema,
});
/** A planned documentation site. */
export type PlannedSite = z.infer<typeof PlannedSiteSchema>;

/** A GitHub repository to read. */
export const PlannedRepoSchema = z.object({
  /** `github:<owner>/<repo>`, lower case. */
  key: Key,
  owner: z.string(),
  repo: z.string(),
  url: z.httpUrl(),
  /** Branch pinned by the landscape, else `null` (the default branch). */
  branch: z.string().nullable(),
  projects: Projects,
  language: z.string(),
  budget: BudgetSchema,
});
/** A planned GitHub repository. */
export type PlannedRepo = z.infer<typeof PlannedRepoSchema>;

/** Stack Overflow questions to fetch. */
export const PlannedTagSchema = z.object({
  /** `so:<tag>`, or `so:<a>+<b>` for questions that must carry every tag. */
  key: Key,
  site: z.literal('stackoverflow'),
  tags: z.array(z.string()).min(1),
  /** `all`: questions tagged with every tag; `any` is only used with a single tag. */
  match: z.enum(['any', 'all']),
  projects: Projects,
  language: z.string(),
  budget: BudgetSchema,
});
/** A planned Stack Overflow tag query. */
export type PlannedTag = z.infer<typeof PlannedTagSchema>;

/** A PDF (audit report, whitepaper) to download and extract. */
export const PlannedWhitepaperSchema = z.object({
  /** `pdf:<host><path>` of the link as the landscape gives it. */
  key: Key,
  /** Where to download the PDF (GitHub `blob/` links rewritten to raw file URLs). */
  url: z.httpUrl(),
  /** The link as written in the landscape. */
  sourceUrl: z.httpUrl(),
  title: z.string(),
  kind: z.enum(['audit', 'link']),
  /** Date of the audit, `YYYY-MM-DD`, when known. */
  date: z.string().nullable(),
  projects: Projects,
  language: z.string(),
});
/** A planned PDF. */
export type PlannedWhitepaper = z.infer<typeof PlannedWhitepaperSchema>;

/** A source a project has, or lacks, that the plan leaves out, and why. */
export const SkippedSourceSchema = z.object({
  project: z.string(),
  source: SourceTypeSchema,
  reason: z.string(),
});
/** A source left out of the plan. */
export type SkippedSource = z.infer<typeof SkippedSourceSchema>;

/** A selected project with its effective budget and the units planned for it. */
export const PlannedProjectSchema = z.object({
  name: z.string(),
  slug: z.string(),
  maturity: MaturitySchema,
  budget: BudgetSchema,
  language: z.string(),
  /** Keys of the sites, repositories, tags and PDFs planned for this project. */
  keys: z.array(Key),
});
/** A project of the plan. */
export type PlannedProject = z.infer<typeof PlannedProjectSchema>;

/** What to fetch for which project: the output of `planSources`, saved as JSON between steps. */
export const SourcePlanSchema = z.object({
  version: z.literal(1),
  sites: z.array(PlannedSiteSchema),
  github: z.array(PlannedRepoSchema),
  stackOverflow: z.array(PlannedTagSchema),
  whitepapers: z.array(PlannedWhitepaperSchema),
  projects: z.array(PlannedProjectSchema),
  skipped: z.array(SkippedSourceSchema),
  /** Problems with the options (unknown project names, bad override URLs). */
  issues: z.array(z.string()),
});
/** A source plan. */
export type SourcePlan = z.infer<typeof SourcePlanSchema>;

/**
 * Whether a URL belongs to a planned site: its host is one of the site's hosts and its path
 * is inside the site's directory. The directory itself without its trailing slash counts as
 * inside (`/docs` for `/docs/`), because seeds are often written that way.
 */
export function isInSiteScope(site: Pick<PlannedSite, 'scope'>, url: string): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  if (!/^https?:$/.test(parsed.protocol)) return false;
  if (!site.scope.hosts.includes(parsed.host.toLowerCase())) return false;
  const prefix = site.scope.pathPrefix;
  return parsed.pathname.startsWith(prefix) || `${parsed.pathname}/` === prefix;
}

/**
 * Reads a plan saved as JSON.
 *
 * @throws {ScraperError} `invalid-record` when the text is not JSON or not a plan.
 */
export function parseSourcePlan(json: string): SourcePlan {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (cause) {
    throw new ScraperError(
      'invalid-record',
      `The source plan is not JSON (${(cause as Error).message}); regenerate it with planSources.`,
      { cause },
    );
  }
  const result = SourcePlanSchema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new ScraperError(
      'invalid-record',
      `The source plan does not match SourcePlanSchema (${first ? `${first.path.join('.')}: ${first.message}` : 'unknown problem'}); regenerate it with planSources.`,
      { cause: result.error },
    );
  }
  return result.data;
}

/**
 * A directory name for a plan key: a readable, file-system-safe prefix plus 8 hex digits of
 * the key's sha256, so two keys that differ only in characters the prefix drops still get
 * different directories. The same key always gives the same name.
 *
 * @example planKeyToDir('github:etcd-io/etcd') // 'github-etcd-io-etcd-<8 hex>'
 */
export function planKeyToDir(key: string): string {
  const readable = key
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, 80)
    .replace(/^[-.]+|[-.]+$/g, '');
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return readable === '' ? hash : `${readable}-${hash}`;
}
