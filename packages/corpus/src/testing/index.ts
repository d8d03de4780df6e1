// `@cncf-llm/corpus/testing`: stand-ins for the services the corpus talks to, for tests of code
// that uses it. Each is a real HTTP server on 127.0.0.1 speaking the real protocol.

export {
  type HubStandIn,
  type HubStandInCommit,
  type HubStandInEntry,
  type HubStandInFailure,
  type HubStandInOptions,
  HubStandInRepo,
  type HubStandInRepoType,
  type HubStandInRequest,
  startHubStandIn,
} from './hub-stand-in.js';
