// PII detector: e-mail addresses, phone numbers, payment cards (Luhn + issuer prefix), IBANs (mod 97),
// US SSNs and IP addresses. Where two recognisers claim the same characters, the more specific one
// wins (a card number is also a long digit run a phone parser might accept).
import type { CountryCode } from 'libphonenumber-js/max';

import { resolveOverlaps, type Detection } from '../detection.model';
import { recognizeEmails } from './email.recognizer';
import { recognizeIbans } from './iban.recognizer';
import { recognizeIpAddresses } from './ip-address.recognizer';
import { recognizePaymentCards } from './payment-card.recognizer';
import { recognizePhoneNumbers } from './phone.recognizer';
import { recognizeUsSsns } from './us-ssn.recognizer';

export const PII_RULE_IDS = [
  'pii.email',
  'pii.phone',
  'pii.payment_card',
  'pii.iban',
  'pii.us_ssn',
  'pii.ip_address',
] as const;

export interface PiiOptions {
  /** Region for numbers written without a country code (ISO 3166-1 alpha-2). */
  defaultPhoneRegion: CountryCode;
  /** Regions tried, in order, for a national-format number ("030 1234567") invalid in the default one. */
  fallbackPhoneRegions?: readonly CountryCode[];
}

/** Regions tried for national-format numbers when the policy names none. */
export const DEFAULT_FALLBACK_PHONE_REGIONS: readonly CountryCode[] = [
  'GB',
  'DE',
  'FR',
  'ES',
  'IT',
  'NL',
  'IE',
  'AU',
  'IN',
  'JP',
];

const SPECIFICITY: Record<string, number> = {
  'pii.payment_card': 0,
  'pii.iban': 1,
  'pii.us_ssn': 2,
  'pii.email': 3,
  'pii.ip_address': 4,
  'pii.phone': 5,
};

export class PiiDetector {
  detect(text: string, options: PiiOptions): Detection[] {
    const hasDigit = /\d/.test(text);
    const found: Detection[] = [];
    if (text.includes('@') || /\[\s*at\s*\]|\(\s*at\s*\)/i.test(text)) found.push(...recognizeEmails(text));
    if (hasDigit) {
      found.push(
        ...recognizePaymentCards(text),
        ...recognizeIbans(text),
        ...recognizeUsSsns(text),
        ...recognizeIpAddresses(text),
      );
      // Phones last: parsing is the costly step, and digits already claimed need no second look.
      found.push(
        ...recognizePhoneNumbers(
          text,
          options.defaultPhoneRegion,
          options.fallbackPhoneRegions ?? DEFAULT_FALLBACK_PHONE_REGIONS,
          found,
        ),
      );
    } else if (text.includes('::')) {
      found.push(...recognizeIpAddresses(text));
    }
    return resolveOverlaps(found, (d) => SPECIFICITY[d.ruleId] ?? 9);
  }
}
