// Owns the URL: the app lives at `/` and keeps its place in the hash (#/c/<conversation id>,
// #/usage), so the BFF serves one index.html and no server route exists per screen.
export type Route = { screen: 'chat'; conversationId?: string } | { screen: 'usage' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '/usage') return { screen: 'usage' };
  const match = /^\/c\/([\w-]{1,64})$/.exec(path);
  return { screen: 'chat', conversationId: match?.[1] };
}

export function routeHash(route: Route): string {
  if (route.screen === 'usage') return '#/usage';
  return route.conversationId ? `#/c/${route.conversationId}` : '#/';
}
