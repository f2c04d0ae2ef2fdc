// International bank account numbers: country code, check digits and BBAN, validated by ibantools
// (per-country length and format plus the ISO 7064 mod-97 checksum). Printed IBANs come in groups of
// four; when a greedy match ran into the next word, shorter prefixes are tried group by group. A
// checksum-valid code that a key, a table's column header or the words after it name as something
// else (`"sku": `, a "ticket" column, "AT64 0765 ... is the part number") is no account: one random
// code in 97 of the right length passes the checksum.
import type * as IbanTools from 'ibantools' with { 'resolution-mode': 'import' };

import type { Detection } from '../detection.model';
import { describedAfterAsOtherKind, keyedAsOtherKind } from './pii-context.util';

// ibantools ships CommonJS under "require" but types that TypeScript reads as ESM-only; the
// require() below loads that CommonJS build with the package's own types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isValidIBAN } = require('ibantools') as typeof IbanTools;

// Words that name an account ("iban", `payout_account`, "the landlord's account").
const IBAN_KINDS =
  /^(?:iban|ibans|account|accounts|acct|bank|konto|kontonummer|rib|payee|beneficiary|creditor|debtor|payout|payment|wire|transfer|sepa|compte|cuenta|conto|rekening)$/;

const CANDIDATE = /\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}\b/g;

export function recognizeIbans(text: string): Detection[] {
  const found: Detection[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    let candidate = match[0];
    while (candidate.replace(/ /g, '').length >= 15) {
      const electronic = candidate.replace(/ /g, '').toUpperCase();
      if (isValidIBAN(electronic)) {
        const end = match.index + candidate.length;
        if (
          keyedAsOtherKind(text, match.index, IBAN_KINDS) ||
          describedAfterAsOtherKind(text, end, IBAN_KINDS)
        ) {
          break;
        }
        found.push({
          ruleId: 'pii.iban',
          category: 'pii',
          start: match.index,
          end,
          label: 'IBAN',
          canonical: electronic,
        });
        break;
      }
      const lastSpace = candidate.lastIndexOf(' ');
      if (lastSpace < 0) break;
      candidate = candidate.slice(0, lastSpace);
    }
  }
  return found;
}
