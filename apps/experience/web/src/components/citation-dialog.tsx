// The source behind a citation marker: the file, page and the excerpt the answer was grounded on.
// Citations streamed with the answer are shown at once; for an answer loaded later they come from the
// answer's trace (the stored message has no citations field).
import { useEffect, useState } from 'react';

import type { HearthClient } from '../api/hearth-client';
import type { Citation } from '../api/types';
import type { ChatMessage } from '../chat/chat-message';
import { ErrorNotice } from './error-notice';
import { Modal } from './modal';

export interface CitationDialogProps {
  client: HearthClient;
  conversationId: string;
  message: ChatMessage;
  marker: number;
  known?: Citation;
  onClose(): void;
}

interface Shown {
  filename: string;
  page: number | null;
  excerpt: string;
}

export function CitationDialog({
  client,
  conversationId,
  message,
  marker,
  known,
  onClose,
}: CitationDialogProps) {
  const [source, setSource] = useState<Shown | null | undefined>(
    known
      ? { filename: known.filename, page: known.page, excerpt: known.excerpt }
      : message.id
        ? undefined
        : null,
  );
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (known || !message.id) return;
    client
      .trace(conversationId, message.id)
      .then((trace) => {
        const found = trace.citations?.citations?.find((c) => c.marker === marker);
        setSource(
          found ? { filename: found.file_name ?? 'a file', page: null, excerpt: found.excerpt ?? '' } : null,
        );
      })
      .catch(setError);
  }, [client, conversationId, message.id, marker, known]);

  return (
    <Modal title={`Source [${marker}]`} onClose={onClose}>
      {error !== undefined && <ErrorNotice error={error} />}
      {source === undefined && error === undefined && <p className="muted">Loading the source…</p>}
      {source === null && <p>This marker names no source that the answer was given.</p>}
      {source && (
        <>
          <p className="citation-file">
            <strong>{source.filename}</strong>
            {source.page ? `, page ${source.page}` : ''}
          </p>
          <blockquote className="excerpt">{source.excerpt}</blockquote>
        </>
      )}
    </Modal>
  );
}
