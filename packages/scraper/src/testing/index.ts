// `@cncf-llm/scraper/testing`: stand-ins for the APIs the scraper talks to, for the tests of
// code that uses the scraper. Each is a real HTTP server on 127.0.0.1 speaking the real protocol.

export {
  type GitHubStandIn,
  type GitHubStandInOptions,
  type GitHubStandInRepo,
  gitBlobSha,
  startGitHubStandIn,
} from './github-stand-in.js';
export { type RecordedRequest, type RunningStandIn, startHttpStandIn } from './http-stand-in.js';
export {
  type ApiAnswer,
  type ApiQuestion,
  type StackExchangeStandIn,
  type StackExchangeStandInOptions,
  startStackExchangeStandIn,
} from './stackexchange-stand-in.js';
