// Licences of the corpus: which may be redistributed in a public dataset, and what each asks of
// whoever republishes the text. Identifiers are SPDX (as the scraper records them); comparison
// is case-insensitive, as SPDX specifies.

/**
 * Licences exported by default: permissive software licences and the Creative Commons licences
 * that allow redistribution and derivatives, commercial use included, given attribution (and,
 * for the SA ones, the same licence on adaptations). Not in it: NC and ND variants, GPL-family
 * documentation licences, and records without a licence (`null`), which are excluded unless
 * `includeUnlicensed` is set.
 */
export const DEFAULT_LICENCE_ALLOW_LIST: readonly string[] = Object.freeze([
  'Apache-2.0',
  'MIT',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'CC-BY-4.0',
  'CC-BY-SA-3.0',
  'CC-BY-SA-4.0',
  'CC0-1.0',
]);

/** What a licence is and what reusing text under it requires. */
export interface LicenceInfo {
  /** SPDX identifier, in its canonical spelling when known. */
  spdx: string;
  name: string;
  /** Where the licence text is. */
  url: string;
  /**
   * The Hugging Face Hub's identifier for the card's `license` field, or `null` when the Hub has
   * none (the card then says `other` with `license_name` and `license_link`).
   */
  hubId: string | null;
  /** Whether reusers must credit the authors. */
  attribution: boolean;
  /** Whether adaptations must carry the same licence (copyleft for text). */
  shareAlike: boolean;
  /** One sentence: what a user of the dataset must do. */
  obligations: string;
}

const KNOWN: readonly LicenceInfo[] = [
  {
    spdx: 'Apache-2.0',
    name: 'Apache License 2.0',
    url: 'https://www.apache.org/licenses/LICENSE-2.0',
    hubId: 'apache-2.0',
    attribution: true,
    shareAlike: false,
    obligations:
      'Keep the copyright and licence notices (and any NOTICE file) with redistributed text and state significant changes.',
  },
  {
    spdx: 'MIT',
    name: 'MIT License',
    url: 'https://opensource.org/license/mit',
    hubId: 'mit',
    attribution: true,
    shareAlike: false,
    obligations:
      'Keep the copyright notice and the permission notice with all copies or substantial portions.',
  },
  {
    spdx: 'BSD-2-Clause',
    name: 'BSD 2-Clause "Simplified" License',
    url: 'https://opensource.org/license/bsd-2-clause',
    hubId: 'bsd-2-clause',
    attribution: true,
    shareAlike: false,
    obligations:
      'Keep the copyright notice, the conditions and the disclaimer with redistributions.',
  },
  {
    spdx: 'BSD-3-Clause',
    name: 'BSD 3-Clause "New" or "Revised" License',
    url: 'https://opensource.org/license/bsd-3-clause',
    hubId: 'bsd-3-clause',
    attribution: true,
    shareAlike: false,
    obligations:
      'Keep the copyright notice, the conditions and the disclaimer, and do not use the authors’ names to endorse derived products.',
  },
  {
    spdx: 'CC-BY-3.0',
    name: 'Creative Commons Attribution 3.0 Unported',
    url: 'https://creativecommons.org/licenses/by/3.0/legalcode',
    hubId: 'cc-by-3.0',
    attribution: true,
    shareAlike: false,
    obligations: 'Credit the authors, link to the licence, and indicate if changes were made.',
  },
  {
    spdx: 'CC-BY-4.0',
    name: 'Creative Commons Attribution 4.0 International',
    url: 'https://creativecommons.org/licenses/by/4.0/legalcode',
    hubId: 'cc-by-4.0',
    attribution: true,
    shareAlike: false,
    obligations:
      'Credit the authors (the `attribution` column), link to the licence, and indicate if changes were made.',
  },
  {
    spdx: 'CC-BY-SA-3.0',
    name: 'Creative Commons Attribution Share Alike 3.0 Unported',
    url: 'https://creativecommons.org/licenses/by-sa/3.0/legalcode',
    hubId: 'cc-by-sa-3.0',
    attribution: true,
    shareAlike: true,
    obligations:
      'Credit the authors, link to the licence, indicate changes, and share adaptations under the same or a compatible licence (share alike).',
  },
  {
    spdx: 'CC-BY-SA-4.0',
    name: 'Creative Commons Attribution Share Alike 4.0 International',
    url: 'https://creativecommons.org/licenses/by-sa/4.0/legalcode',
    hubId: 'cc-by-sa-4.0',
    attribution: true,
    shareAlike: true,
    obligations:
      'Credit the authors, link to the licence, indicate changes, and share adaptations under the same or a compatible licence (share alike).',
  },
  {
    spdx: 'CC0-1.0',
    name: 'Creative Commons Zero v1.0 Universal',
    url: 'https://creativecommons.org/publicdomain/zero/1.0/legalcode',
    hubId: 'cc0-1.0',
    attribution: false,
    shareAlike: false,
    obligations:
      'None: dedicated to the public domain (crediting the source is still good practice).',
  },
  {
    spdx: 'CC-BY-NC-4.0',
    name: 'Creative Commons Attribution Non Commercial 4.0 International',
    url: 'https://creativecommons.org/licenses/by-nc/4.0/legalcode',
    hubId: 'cc-by-nc-4.0',
    attribution: true,
    shareAlike: false,
    obligations: 'Credit the authors and do not use the text for commercial purposes.',
  },
  {
    spdx: 'CC-BY-NC-SA-4.0',
    name: 'Creative Commons Attribution Non Commercial Share Alike 4.0 International',
    url: 'https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode',
    hubId: 'cc-by-nc-sa-4.0',
    attribution: true,
    shareAlike: true,
    obligations:
      'Credit the authors, no commercial use, and share adaptations under the same licence.',
  },
  {
    spdx: 'CC-BY-ND-4.0',
    name: 'Creative Commons Attribution No Derivatives 4.0 International',
    url: 'https://creativecommons.org/licenses/by-nd/4.0/legalcode',
    hubId: 'cc-by-nd-4.0',
    attribution: true,
    shareAlike: false,
    obligations: 'Credit the authors and share only unmodified copies.',
  },
  {
    spdx: 'ISC',
    name: 'ISC License',
    url: 'https://opensource.org/license/isc-license-txt',
    hubId: 'isc',
    attribution: true,
    shareAlike: false,
    obligations: 'Keep the copyright notice and the permission notice with all copies.',
  },
  {
    spdx: 'Unlicense',
    name: 'The Unlicense',
    url: 'https://unlicense.org/',
    hubId: 'unlicense',
    attribution: false,
    shareAlike: false,
    obligations: 'None: dedicated to the public domain.',
  },
  {
    spdx: 'MPL-2.0',
    name: 'Mozilla Public License 2.0',
    url: 'https://www.mozilla.org/en-US/MPL/2.0/',
    hubId: 'mpl-2.0',
    attribution: true,
    shareAlike: true,
    obligations: 'Keep the notices and make modified files available under the MPL.',
  },
];

/** Rows exported with `includeUnlicensed`: the Hub has an id for exactly this. */
const UNKNOWN: LicenceInfo = {
  spdx: 'unknown',
  name: 'Unknown licence',
  url: 'https://huggingface.co/docs/hub/repositories-licenses',
  hubId: 'unknown',
  attribution: true,
  shareAlike: false,
  obligations:
    'The licence of these rows was not recorded; find out before reusing them (credit the source URL).',
};

const BY_ID = new Map([...KNOWN, UNKNOWN].map((info) => [info.spdx.toLowerCase(), info]));

/**
 * What is known about a licence. Unknown identifiers get a generic entry pointing at the SPDX
 * licence list, which says to read the licence before reusing the text.
 */
export function licenceInfo(spdx: string): LicenceInfo {
  const known = BY_ID.get(spdx.trim().toLowerCase());
  if (known) return known;
  return {
    spdx,
    name: spdx,
    url: `https://spdx.org/licenses/${encodeURIComponent(spdx)}.html`,
    hubId: null,
    attribution: true,
    shareAlike: false,
    obligations: 'Read the licence before reusing this text; its terms are not summarised here.',
  };
}

/** Whether `licence` is in `allowList` (SPDX ids compare case-insensitively; `null` never is). */
export function isLicenceAllowed(licence: string | null, allowList: readonly string[]): boolean {
  if (licence === null) return false;
  const wanted = licence.trim().toLowerCase();
  return allowList.some((allowed) => allowed.trim().toLowerCase() === wanted);
}
