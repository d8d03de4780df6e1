import { z } from 'zod';

/**
 * CNCF maturity levels as written in `landscape.yml` (`project:`). Items without `project:`
 * are not CNCF projects (members, products, other foundations' projects).
 */
export const MaturitySchema = z.enum(['graduated', 'incubating', 'sandbox', 'archived']);
/** CNCF maturity level of a project. */
export type Maturity = z.infer<typeof MaturitySchema>;

/**
 * A calendar date normalised to `YYYY-MM-DD`. The landscape writes dates as strings, but a
 * YAML 1.1 parser (or an unquoted value read with a timestamp-aware schema) hands back a
 * `Date`, so both are accepted and folded into one form.
 */
export const LandscapeDateSchema = z.union([z.string(), z.date()]).transform((value, ctx) => {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'is not a valid date; write it as YYYY-MM-DD' });
      return z.NEVER;
    }
    return value.toISOString().slice(0, 10);
  }
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(value.trim());
  const date = match ? new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00Z`) : undefined;
  if (!match || !date || Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(match[3])) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a date; write it as 'YYYY-MM-DD'`,
    });
    return z.NEVER;
  }
  return `${match[1]}-${match[2]}-${match[3]}`;
});

// Only the URLs that later steps follow are checked strictly; the many social/chat links stay
// plain strings so an odd one never costs a project its place in the model.
const HttpUrl = z.httpUrl();

/** One security or fuzzing audit listed under `extra.audits`. */
export const LandscapeAuditSchema = z.looseObject({
  date: LandscapeDateSchema,
  type: z.string(),
  url: HttpUrl,
  vendor: z.string(),
});
/** One security or fuzzing audit of a project. */
export type LandscapeAudit = z.infer<typeof LandscapeAuditSchema>;

/** One entry of `extra.other_links`. */
export const LandscapeLinkSchema = z.looseObject({ name: z.string(), url: HttpUrl });
/** A named link of a project. */
export type LandscapeLink = z.infer<typeof LandscapeLinkSchema>;

/** One entry of `additional_repos`. */
export const LandscapeRepoSchema = z.looseObject({
  repo_url: HttpUrl,
  branch: z.string().optional(),
  repo_name: z.string().optional(),
});
/** An additional repository of an item. */
export type LandscapeRepo = z.infer<typeof LandscapeRepoSchema>;

/**
 * The `extra:` block of an item: every key the CNCF file uses, typed. Unknown keys pass
 * through untouched because the landscape grows new ones every few months.
 *
 * Two spellings are folded together: the real file has `documentation_ul` (a typo) on a few
 * items, and landscape2 documents both `summary_integration` and `summary_integrations`.
 * The canonical `documentation_url` / `summary_integrations` are filled from them when absent.
 */
export const LandscapeExtraSchema = z
  .looseObject({
    lfx_slug: z.string().optional(),
    accepted: LandscapeDateSchema.optional(),
    incubating: LandscapeDateSchema.optional(),
    graduated: LandscapeDateSchema.optional(),
    archived: LandscapeDateSchema.optional(),
    annual_review_date: LandscapeDateSchema.optional(),
    annual_review_url: z.string().optional(),
    audits: z.array(LandscapeAuditSchema).optional(),
    other_links: z.array(LandscapeLinkSchema).optional(),
    parent_project: z.string().optional(),
    clomonitor_name: z.string().optional(),
    documentation_url: HttpUrl.optional(),
    documentation_ul: HttpUrl.optional(),
    stack_overflow_url: HttpUrl.optional(),
    dev_stats_url: z.string().optional(),
    blog_url: z.string().optional(),
    blogs_url: z.string().optional(),
    blog_jp_url: z.string().optional(),
    artwork_url: z.string().optional(),
    slack_url: z.string().optional(),
    chat_channel: z.string().optional(),
    mailing_list_url: z.string().optional(),
    youtube_url: z.string().optional(),
    linkedin_url: z.string().optional(),
    github_discussions_url: z.string().optional(),
    docker_url: z.string().optional(),
    package_manager_url: z.string().optional(),
    gitter_url: z.string().optional(),
    discord_url: z.string().optional(),
    bluesky_url: z.string().optional(),
    helm_chart_url: z.string().optional(),
    operator_chart_url: z.string().optional(),
    kubernetes_url: z.string().optional(),
    funding_url: z.string().optional(),
    url_for_bestpractices: z.string().optional(),
    homepage_url: z.string().optional(),
    /** Maturity in another foundation (e.g. LF AI & Data), not a CNCF maturity. */
    project: z.string().optional(),
    cncf_tags: z.array(z.string()).optional(),
    tag: z.string().optional(),
    specification: z.boolean().optional(),
    ai: z.boolean().optional(),
    training_certifications: z.string().optional(),
    training_type: z.string().optional(),
    summary_use_case: z.string().optional(),
    summary_business_use_case: z.string().optional(),
    summary_personas: z.string().optional(),
    summary_tags: z.string().optional(),
    summary_release_rate: z.string().optional(),
    summary_integrations: z.string().optional(),
    summary_integration: z.string().optional(),
    summary_intro_url: z.string().optional(),
    summary_languages: z.string().optional(),
  })
  .transform((extra): typeof extra => {
    const documentationUrl = extra.documentation_url ?? extra.documentation_ul;
    const integrations = extra.summary_integrations ?? extra.summary_integration;
    return {
      ...extra,
      ...(documentationUrl === undefined ? {} : { documentation_url: documentationUrl }),
      ...(integrations === undefined ? {} : { summary_integrations: integrations }),
    };
  });
/** The `extra:` block of a landscape item. */
export type LandscapeExtra = z.infer<typeof LandscapeExtraSchema>;

/**
 * One landscape item. `name`, `homepage_url` and `logo` are required (as in landscape2);
 * everything else is optional. Unknown keys pass through; the `item:` marker key is dropped
 * (it is `null` in YAML and carries no data; two real items omit it).
 */
export const LandscapeItemSchema = z
  .looseObject({
    name: z.string().trim().min(1, 'is empty; give the item a name'),
    homepage_url: HttpUrl,
    logo: z.string().min(1),
    description: z.string().nullable().optional(),
    project: MaturitySchema.optional(),
    repo_url: HttpUrl.optional(),
    branch: z.string().optional(),
    additional_repos: z.array(LandscapeRepoSchema).optional(),
    /** Extra placements, each `"Category / Subcategory"`. */
    second_path: z.array(z.string()).optional(),
    crunchbase: z.string().optional(),
    twitter: z.string().optional(),
    bluesky_url: z.string().optional(),
    joined: LandscapeDateSchema.optional(),
    enduser: z.boolean().optional(),
    url_for_bestpractices: z.string().optional(),
    /** Either a Crunchbase URL or `{ name }` for organisations Crunchbase does not know. */
    organization: z.union([z.string(), z.looseObject({ name: z.string() })]).optional(),
    unnamed_organization: z.boolean().optional(),
    allow_duplicate_repo: z.boolean().optional(),
    open_source: z.boolean().optional(),
    project_org: z.string().optional(),
    stock_ticker: z.string().nullable().optional(),
    slug: z.string().optional(),
    extra: LandscapeExtraSchema.optional(),
  })
  .transform(({ item: _marker, ...item }) => item);
/** One landscape item, validated and normalised. */
export type LandscapeItem = z.infer<typeof LandscapeItemSchema>;

/** A subcategory; `items: null` (an empty subcategory in YAML) becomes `[]`. */
export const LandscapeSubcategorySchema = z
  .looseObject({
    name: z.string().trim().min(1),
    note: z.string().optional(),
    items: z
      .array(LandscapeItemSchema)
      .nullable()
      .transform((items) => items ?? []),
  })
  .transform(({ subcategory: _marker, ...subcategory }) => subcategory);
/** A landscape subcategory with its items. */
export type LandscapeSubcategory = z.infer<typeof LandscapeSubcategorySchema>;

/** A category with its subcategories. */
export const LandscapeCategorySchema = z
  .looseObject({
    name: z.string().trim().min(1),
    subcategories: z.array(LandscapeSubcategorySchema),
  })
  .transform(({ category: _marker, ...category }) => category);
/** A landscape category. */
export type LandscapeCategory = z.infer<typeof LandscapeCategorySchema>;

/**
 * A whole `landscape.yml` (`{ landscape: [categories] }`). Validating with this schema is
 * all-or-nothing; `parseLandscape` validates item by item instead, so that one broken entry
 * becomes an issue rather than a failure.
 */
export const LandscapeSchema = z.object({ landscape: z.array(LandscapeCategorySchema) });
/** A parsed, validated landscape. */
export type Landscape = z.infer<typeof LandscapeSchema>;
