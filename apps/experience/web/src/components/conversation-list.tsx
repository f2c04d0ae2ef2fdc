// The conversation list: search (over the titles loaded here: the API has no search endpoint),
// rename in place, delete with confirmation (a conversation's branches go with it).
import { useId, useState, type FormEvent } from 'react';

import type { Conversation } from '../api/types';
import { BranchIcon, PencilIcon, TrashIcon } from './icons';
import { Modal } from './modal';

export interface ConversationListProps {
  conversations: Conversation[];
  branchCount(id: string): number;
  activeId?: string;
  onOpen(id: string): void;
  onRename(id: string, title: string): Promise<void>;
  onDelete(id: string): Promise<void>;
}

export function ConversationList(props: ConversationListProps) {
  const { conversations, activeId } = props;
  const [query, setQuery] = useState('');
  const [renaming, setRenaming] = useState<string>();
  const [draft, setDraft] = useState('');
  const [deleting, setDeleting] = useState<Conversation>();
  const searchId = useId();
  const needle = query.trim().toLowerCase();
  const shown = needle
    ? conversations.filter((c) => (c.title ?? 'Untitled').toLowerCase().includes(needle))
    : conversations;

  function startRename(c: Conversation) {
    setRenaming(c.id);
    setDraft(c.title ?? '');
  }

  async function submitRename(event: FormEvent, id: string) {
    event.preventDefault();
    const title = draft.trim();
    setRenaming(undefined);
    if (title) await props.onRename(id, title);
  }

  return (
    <div className="conversation-list">
      <label htmlFor={searchId} className="visually-hidden">
        Search conversations
      </label>
      <input
        id={searchId}
        type="search"
        className="search"
        placeholder="Search conversations"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {shown.length === 0 && (
        <p className="muted empty">{needle ? 'No conversation matches.' : 'No conversations yet.'}</p>
      )}
      <ul>
        {shown.map((c) => {
          const branches = props.branchCount(c.id);
          const title = c.title || 'Untitled';
          return (
            <li key={c.id} className={c.id === activeId ? 'active' : undefined}>
              {renaming === c.id ? (
                <form onSubmit={(e) => submitRename(e, c.id)} className="rename-form">
                  <label className="visually-hidden" htmlFor={`rename-${c.id}`}>
                    New title
                  </label>
                  <input
                    id={`rename-${c.id}`}
                    value={draft}
                    maxLength={200}
                    autoFocus
                    onChange={(e) => setDraft(e.target.value)}
                    onKeyDown={(e) => e.key === 'Escape' && setRenaming(undefined)}
                  />
                  <button type="submit" className="small">
                    Save
                  </button>
                </form>
              ) : (
                <>
                  <button
                    type="button"
                    className="conversation-link"
                    aria-current={c.id === activeId ? 'page' : undefined}
                    onClick={() => props.onOpen(c.id)}
                  >
                    <span className="conversation-title">{title}</span>
                    {branches > 0 && (
                      <span className="badge" title={`${branches} branch${branches === 1 ? '' : 'es'}`}>
                        <BranchIcon /> {branches}
                      </span>
                    )}
                  </button>
                  <span className="row-actions">
                    <button type="button" className="icon-button" onClick={() => startRename(c)}>
                      <PencilIcon />
                      <span className="visually-hidden">Rename {title}</span>
                    </button>
                    <button type="button" className="icon-button" onClick={() => setDeleting(c)}>
                      <TrashIcon />
                      <span className="visually-hidden">Delete {title}</span>
                    </button>
                  </span>
                </>
              )}
            </li>
          );
        })}
      </ul>
      {deleting && (
        <Modal title="Delete conversation?" onClose={() => setDeleting(undefined)}>
          <p>
            “{deleting.title || 'Untitled'}”{props.branchCount(deleting.id) > 0 ? ' and its branches' : ''}{' '}
            will be deleted. This cannot be undone.
          </p>
          <div className="dialog-actions">
            <button type="button" onClick={() => setDeleting(undefined)}>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => {
                const id = deleting.id;
                setDeleting(undefined);
                void props.onDelete(id);
              }}
            >
              Delete
            </button>
          </div>
        </Modal>
      )}
    </div>
  );
}
