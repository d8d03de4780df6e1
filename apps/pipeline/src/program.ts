import { runScoreCli } from '@cncf-llm/bench';
import { Command } from 'commander';
import { registerCorpus, registerDataset } from './commands/corpus.js';
import { registerCrawl } from './commands/crawl.js';
import { registerLandscape } from './commands/landscape.js';
import { registerScrape } from './commands/scrape.js';
import { registerTrain } from './commands/train.js';
import { VERSION } from './version.js';

/**
 * The `cncf-llm` command tree. Each area of the pipeline is a command group; the groups are
 * thin: they parse arguments and call the packages.
 */
export function createProgram(): Command {
  const program = new Command('cncf-llm')
    .description(
      'Turn the CNCF landscape into a domain LLM: scrape docs, build a corpus, generate Q&A, fine-tune, benchmark.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .enablePositionalOptions()
    .exitOverride();

  const bench = program
    .command('bench')
    .description(
      'Evaluate models: sacreBLEU-exact BLEU, chrF/chrF++ and TER, with significance tests.',
    )
    .enablePositionalOptions();
  bench
    .command('score')
    .description(
      'Score system outputs against references (sacreBLEU flags: REF... -i SYS... -m bleu chrf ter). Run `cncf-llm bench score --help` for all flags.',
    )
    .helpOption(false)
    .passThroughOptions()
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'arguments of cncf-bench')
    .action(async (_args: string[], _opts: unknown, command: Command) => {
      // Everything after `score` goes to the bench CLI untouched, so sacreBLEU's multi-letter
      // flags (-tok, -lc, -pbs) and --help reach it as written.
      process.exitCode = await runScoreCli(command.args);
    });
  registerLandscape(program);
  registerCrawl(program);
  registerScrape(program);
  registerCorpus(program);
  registerDataset(program);
  registerTrain(program);
  return program;
}
