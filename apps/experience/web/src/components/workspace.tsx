// The signed-in app: conversation list, the open conversation or the usage screen, the model picker,
// theme and sign-out. Owns the API client for the key, the branch registry, the conversation list
// and the session's usage counters; the URL hash says which screen and conversation are open.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';

import { ApiFailure } from '../api/api-failure';
import { BranchRegistry, registryKey } from '../api/branch-registry';
import { HearthClient } from '../api/hearth-client';
import type { Conversation, Model, Usage } from '../api/types';
import { useChat } from '../chat/use-chat';
import { parseRoute, routeHash, type Route } from '../route';
import { applyTheme, savedTheme, type Theme } from '../theme';
import { ChatScreen } from './chat-screen';
import { ConversationList } from './conversation-list';
import { ErrorNotice } from './error-notice';
import { MenuIcon } from './icons';
import { UsageScreen, type SessionUsage } from './usage-screen';

export interface WorkspaceProps {
  apiKey: string;
  onSignOut(reason?: string): void;
}

const INVALID_KEY_NOTICE =
  'Your API key stopped working: it was revoked, has expired, or is wrong. Sign in with a valid key.';

export function Workspace({ apiKey, onSignOut }: WorkspaceProps) {
  const client = useMemo(
    () =>
      new HearthClient(
        apiKey,
        (failure: ApiFailure) => failure.isInvalidKey && onSignOut(INVALID_KEY_NOTICE),
      ),
    [apiKey, onSignOut],
  );
  const [branches, setBranches] = useState(() => new BranchRegistry(undefined, ''));
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [models, setModels] = useState<Model[]>([]);
  const [model, setModel] = useState('');
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [listError, setListError] = useState<unknown>();
  const [theme, setTheme] = useState<Theme>(savedTheme);
  const [menuOpen, setMenuOpen] = useState(false);
  // A new chat or another conversation from the list starts with a fresh composer (no attachments).
  const [epoch, setEpoch] = useState(0);
  const [usage, setUsage] = useState<SessionUsage>({ requests: 0, byModel: {} });
  const conversationsRef = useRef(conversations);
  useLayoutEffect(() => {
    conversationsRef.current = conversations;
  });

  useEffect(() => {
    let live = true;
    void registryKey(apiKey).then((key) => live && setBranches(new BranchRegistry(localStorage, key)));
    return () => {
      live = false;
    };
  }, [apiKey]);

  const navigate = useCallback((next: Route) => {
    const hash = routeHash(next);
    if (location.hash !== hash) history.pushState(null, '', hash);
    setRoute(next);
    setMenuOpen(false);
  }, []);

  useEffect(() => {
    const onPop = () => setRoute(parseRoute(location.hash));
    window.addEventListener('popstate', onPop);
    window.addEventListener('hashchange', onPop);
    return () => {
      window.removeEventListener('popstate', onPop);
      window.removeEventListener('hashchange', onPop);
    };
  }, []);

  const refreshConversations = useCallback(async () => {
    try {
      setConversations(await allConversations(client));
      setListError(undefined);
    } catch (error) {
      setListError(error);
    }
  }, [client]);

  useEffect(() => {
    let live = true;
    allConversations(client)
      .then((list) => live && setConversations(list))
      .catch((error: unknown) => live && setListError(error));
    client
      .models()
      .then((list) => {
        setModels(list);
        const preferred = list.find((m) => m.aliases?.includes('default')) ?? list[0];
        setModel((current) => current || preferred?.id || '');
      })
      .catch((error: unknown) => live && setListError(error));
    return () => {
      live = false;
    };
  }, [client]);

  const onUsage = useCallback((modelId: string, u: Usage) => {
    setUsage((prev) => {
      const m = prev.byModel[modelId] ?? { requests: 0, input: 0, output: 0, cached: 0 };
      return {
        requests: prev.requests + 1,
        byModel: {
          ...prev.byModel,
          [modelId]: {
            requests: m.requests + 1,
            input: m.input + u.prompt_tokens,
            output: m.output + u.completion_tokens,
            cached: m.cached + (u.prompt_tokens_details?.cached_tokens ?? 0),
          },
        },
      };
    });
  }, []);

  const chat = useChat({
    client,
    branches,
    onConversationsChanged: () => void refreshConversations(),
    onNavigate: (id) => navigate({ screen: 'chat', conversationId: id }),
    onUsage,
    titleOf: (id) => conversationsRef.current.find((c) => c.id === id)?.title ?? undefined,
  });

  const routeConversation = route.screen === 'chat' ? route.conversationId : undefined;
  const { open, conversationId: openConversation } = chat;
  useEffect(() => {
    if (route.screen === 'chat' && routeConversation !== openConversation) void open(routeConversation);
    // Only a change of route opens a conversation; the chat itself moves the route when it creates one.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [route.screen, routeConversation]);

  const chooseTheme = (next: Theme) => {
    applyTheme(next);
    setTheme(next);
  };

  async function rename(id: string, title: string) {
    try {
      await client.renameConversation(id, title);
      await refreshConversations();
    } catch (error) {
      setListError(error);
    }
  }

  async function remove(id: string) {
    try {
      for (const member of branches.family(id).reverse()) {
        await client.deleteConversation(member).catch((error: unknown) => {
          if (!(error instanceof ApiFailure && error.status === 404)) throw error;
        });
        branches.remove(member);
      }
      if (chat.conversationId && branches.root(chat.conversationId) === id) navigate({ screen: 'chat' });
      if (chat.conversationId === id) navigate({ screen: 'chat' });
      await refreshConversations();
    } catch (error) {
      setListError(error);
    }
  }

  const openRoot = chat.conversationId ? branches.root(chat.conversationId) : undefined;
  const title =
    route.screen === 'usage'
      ? 'Usage'
      : (conversations.find((c) => c.id === openRoot)?.title ??
        (chat.conversationId ? 'Conversation' : 'New chat'));

  return (
    <div className="app" data-menu-open={menuOpen || undefined}>
      <a className="skip-link" href="#composer-input">
        Skip to the message box
      </a>
      <aside className="sidebar" id="sidebar" aria-label="Conversations">
        <div className="sidebar-head">
          <span className="brand">
            <img src="/favicon.svg" alt="" width={22} height={22} /> Hearth
          </span>
          <button
            type="button"
            className="primary small"
            onClick={() => {
              setEpoch((n) => n + 1);
              navigate({ screen: 'chat' });
            }}
          >
            New chat
          </button>
        </div>
        <ConversationList
          conversations={conversations.filter((c) => !branches.isBranch(c.id))}
          branchCount={(id) => branches.family(id).length - 1}
          activeId={route.screen === 'chat' ? openRoot : undefined}
          onOpen={(id) => {
            setEpoch((n) => n + 1);
            navigate({ screen: 'chat', conversationId: id });
          }}
          onRename={rename}
          onDelete={remove}
        />
        <div className="sidebar-foot">
          <button
            type="button"
            className="link-button"
            aria-current={route.screen === 'usage' ? 'page' : undefined}
            onClick={() => navigate({ screen: 'usage' })}
          >
            Usage
          </button>
          <label className="theme-picker">
            <span>Theme</span>
            <select value={theme} onChange={(e) => chooseTheme(e.target.value as Theme)}>
              <option value="system">System</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
          <button type="button" className="link-button" onClick={() => onSignOut()}>
            Sign out
          </button>
        </div>
      </aside>
      <div className="scrim" onClick={() => setMenuOpen(false)} aria-hidden="true" />
      <main className="main" aria-labelledby="screen-title">
        <header className="topbar">
          <button
            type="button"
            className="icon-button menu-button"
            aria-controls="sidebar"
            aria-expanded={menuOpen}
            onClick={() => setMenuOpen((o) => !o)}
          >
            <MenuIcon />
            <span className="visually-hidden">Conversations</span>
          </button>
          <h1 id="screen-title" className="screen-title">
            {title}
          </h1>
          {route.screen === 'chat' && (
            <label className="model-picker">
              <span className="visually-hidden">Model</span>
              <select value={model} onChange={(e) => setModel(e.target.value)} disabled={models.length === 0}>
                {models.map((m) => (
                  <option key={m.id} value={m.id} disabled={m.available === false}>
                    {m.id}
                    {m.available === false ? ' (unavailable)' : ''}
                  </option>
                ))}
              </select>
            </label>
          )}
        </header>
        {listError !== undefined && (
          <ErrorNotice error={listError} onDismiss={() => setListError(undefined)} />
        )}
        {route.screen === 'usage' ? (
          <UsageScreen client={client} session={usage} />
        ) : (
          <ChatScreen key={epoch} chat={chat} client={client} branches={branches} model={model} />
        )}
      </main>
    </div>
  );
}

/** Every conversation of the key, most recently active first (up to 1,000). */
async function allConversations(client: HearthClient): Promise<Conversation[]> {
  const all: Conversation[] = [];
  let after: string | undefined;
  for (let page = 0; page < 10; page++) {
    const result = await client.listConversations(after);
    all.push(...result.data);
    if (!result.has_more || !result.next_cursor) break;
    after = result.next_cursor;
  }
  return all;
}
