// Model output on the page: Markdown rendered without raw HTML, sanitized, and set through the one
// Trusted Types policy the CSP allows (safe-html.ts). Citation buttons inside it report their marker.
import { useLayoutEffect, useMemo, useRef } from 'react';

import { renderMarkdown } from '../markdown/markdown.renderer';
import { setSanitizedHtml } from '../markdown/safe-html';

export interface MarkdownViewProps {
  text: string;
  citations: boolean;
  onCitation?(marker: number): void;
}

export function MarkdownView({ text, citations, onCitation }: MarkdownViewProps) {
  const ref = useRef<HTMLDivElement>(null);
  const html = useMemo(() => renderMarkdown(text, { citations }), [text, citations]);
  useLayoutEffect(() => {
    if (ref.current) setSanitizedHtml(ref.current, html);
  }, [html]);
  return (
    <div
      ref={ref}
      className="markdown"
      onClick={(event) => {
        // The marker is read from the button's text: the sanitizer keeps no data attributes.
        const target = (event.target as Element).closest('button.citation');
        const marker = Number(/\d+/.exec(target?.textContent ?? '')?.[0]);
        if (target && marker) onCitation?.(marker);
      }}
    />
  );
}
