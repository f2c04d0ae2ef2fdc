// Owns the only way HTML made from model output reaches the page: DOMPurify with a short allowlist of
// tags and attributes (what markdown.renderer.ts can produce), returned as a Trusted Types value where
// the browser enforces them (the BFF's CSP requires Trusted Types and allows only DOMPurify's policy),
// so even a bug in the Markdown pipeline cannot put a script or an event handler into the page.
import DOMPurify from 'dompurify';

const ALLOWED_TAGS = [
  'a',
  'blockquote',
  'br',
  'button',
  'code',
  'del',
  'em',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'li',
  'ol',
  'p',
  'pre',
  's',
  'span',
  'strong',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'ul',
];
const ALLOWED_ATTR = ['aria-label', 'class', 'href', 'rel', 'start', 'target', 'title', 'type'];

/** Replaces the element's content with the sanitized HTML. */
export function setSanitizedHtml(element: Element, html: string): void {
  const clean = DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: false,
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
    RETURN_TRUSTED_TYPE: true,
  });
  // A TrustedHTML value is what innerHTML accepts under Trusted Types; elsewhere it is a string.
  element.innerHTML = clean as unknown as string;
}
