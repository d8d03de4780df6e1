import { cncfProjects, loadLandscape, type Maturity, MaturitySchema } from '@cncf-llm/scraper';
import { type Command, InvalidArgumentError } from 'commander';
import { listOption } from './options.js';

/** Parses `--maturity graduated,incubating`, naming the accepted values on a typo. */
export function maturityOption(value: string, previous: Maturity[] = []): Maturity[] {
  return [
    ...previous,
    ...listOption(value).map((m) => {
      const parsed = MaturitySchema.safeParse(m.toLowerCase());
      if (!parsed.success) {
        throw new InvalidArgumentError(
          `"${m}" is not a maturity; use graduated, incubating, sandbox or archived.`,
        );
      }
      return parsed.data;
    }),
  ];
}

/** `cncf-llm landscape`: the CNCF projects of landscape.yml, as a table or JSON. */
export function registerLandscape(program: Command): void {
  program
    .command('landscape')
    .description('List the CNCF projects of landscape.yml (default: the official file on GitHub).')
    .option('--file <path>', 'read a local landscape.yml instead of downloading it')
    .option('--url <url>', 'download landscape.yml from this URL')
    .option(
      '--maturity <list>',
      'comma-separated: graduated,incubating,sandbox,archived',
      maturityOption,
    )
    .option('--json', 'print the projects as JSON')
    .action(
      async (flags: { file?: string; url?: string; maturity?: Maturity[]; json?: boolean }) => {
        const parsed = await loadLandscape({
          ...(flags.file !== undefined ? { file: flags.file } : {}),
          ...(flags.url !== undefined ? { url: flags.url } : {}),
        });
        for (const issue of parsed.issues) {
          process.stderr.write(`warning: ${issue.path}: ${issue.message}\n`);
        }
        const projects = cncfProjects(parsed, flags.maturity ? { maturity: flags.maturity } : {});
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(projects, null, 2)}\n`);
          return;
        }
        const rows = projects.map((p) => [
          p.name,
          p.maturity,
          p.repoUrl ?? '-',
          p.documentationUrl ?? p.homepageUrl,
        ]);
        const header = ['Project', 'Maturity', 'Repository', 'Docs'];
        const widths = header.map((h, i) =>
          Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)),
        );
        const line = (cells: string[]) =>
          cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
        process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
        const counts = new Map<string, number>();
        for (const p of projects) counts.set(p.maturity, (counts.get(p.maturity) ?? 0) + 1);
        process.stdout.write(
          `\n${projects.length} projects: ${[...counts].map(([m, n]) => `${n} ${m}`).join(', ')}\n`,
        );
      },
    );
}
