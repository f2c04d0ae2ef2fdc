// Payment card numbers (PAN): 12-19 digits, optionally grouped by spaces or dashes, that pass the
// Luhn checksum AND start with a card network's issuer prefix for that length. The prefix check is
// what keeps random Luhn-valid numbers (one in ten) from counting as cards. A number the words before
// it name as something else (`user_id: `, "shipment number"), a key of another kind in code or a log
// (`"cursor": `, `seq=`, each of `"ids": [...]`), or the words after it ("... is the shipment id",
// "...: that's the membership number") is not one, whatever its checksum; nor is a quantity ("offset
// 4111...", "6011... ns").
import type { Detection } from '../detection.model';
import {
  describedAfterAsOtherKind,
  isQuantity,
  keyedAsOtherKind,
  labelledAsOtherKind,
} from './pii-context.util';

// Nouns that name a card number ("card number", `card_no:`, "Visa #"); any other noun in that place
// (`accountId:`, `txn_id=`, "shipment number") names an identifier that happens to pass the checks.
const CARD_KINDS =
  /^(?:card|cards|credit|debit|visa|mastercard|amex|discover|maestro|jcb|unionpay|diners|pan|cc|account|payment|billing)$/;

const CANDIDATE = /(?<![\w.-])\d(?:[ -]?\d){11,18}(?![\w-]|\.\d)/g;

interface CardNetwork {
  prefix: RegExp;
  lengths: readonly number[];
}

const NETWORKS: readonly CardNetwork[] = [
  { prefix: /^4/, lengths: [13, 16, 19] }, // Visa
  { prefix: /^(?:5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/, lengths: [16] }, // Mastercard
  { prefix: /^3[47]/, lengths: [15] }, // American Express
  { prefix: /^(?:6011|65|64[4-9]|622)/, lengths: [16, 17, 18, 19] }, // Discover
  { prefix: /^3(?:0[0-5]|[689])/, lengths: [14, 15, 16, 17, 18, 19] }, // Diners Club
  { prefix: /^35(?:2[89]|[3-8]\d)/, lengths: [16, 17, 18, 19] }, // JCB
  { prefix: /^62/, lengths: [16, 17, 18, 19] }, // UnionPay
  { prefix: /^(?:5018|5020|5038|6304|6759|676[1-3])/, lengths: [12, 13, 14, 15, 16, 17, 18, 19] }, // Maestro
];

/** The Luhn (mod 10) checksum over a digit string. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export function isPaymentCardNumber(digits: string): boolean {
  return (
    NETWORKS.some((n) => n.lengths.includes(digits.length) && n.prefix.test(digits)) && passesLuhn(digits)
  );
}

export function recognizePaymentCards(text: string): Detection[] {
  const found: Detection[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    const candidate = match[0];
    // Mixed separators ("4111 1111-1111 1111") are how tables of numbers look, not how cards are written.
    if (/ /.test(candidate) && /-/.test(candidate)) continue;
    const digits = candidate.replace(/\D/g, '');
    if (!isPaymentCardNumber(digits)) continue;
    const end = match.index + candidate.length;
    if (
      labelledAsOtherKind(text, match.index, CARD_KINDS) ||
      keyedAsOtherKind(text, match.index, CARD_KINDS) ||
      describedAfterAsOtherKind(text, end, CARD_KINDS) ||
      isQuantity(text, match.index, end)
    ) {
      continue;
    }
    found.push({
      ruleId: 'pii.payment_card',
      category: 'pii',
      start: match.index,
      end,
      label: 'CARD',
      canonical: digits,
    });
  }
  return found;
}
