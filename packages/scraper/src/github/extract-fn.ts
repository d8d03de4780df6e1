/** What the document builders hand to the extractor. */
export interface ExtractFnInput {
  body: Uint8Array;
  /** Media type without parameters, e.g. `text/markdown`. */
  contentType: string;
  /** Where the bytes came from; relative links resolve against it. */
  url: string;
}

/**
 * The part of the extractor's result the GitHub and StackExchange builders use. The real
 * `extractContent` returns more; any function returning at least this fits.
 */
export interface ExtractFnResult {
  title: string;
  markdown: string;
  language: string | null;
  links: string[];
  metadata: Record<string, unknown>;
  warnings: string[];
}

/** Turns fetched bytes into markdown; `extractContent` from the extract module by default. */
export type ExtractFn = (input: ExtractFnInput) => Promise<ExtractFnResult>;

/**
 * The package's own extractor, loaded on first use so that importing a client does not pull in
 * the HTML and PDF machinery until a document is actually built.
 */
export async function loadDefaultExtract(): Promise<ExtractFn> {
  const module = await import('../extract/extract-content.js');
  return module.extractContent;
}
