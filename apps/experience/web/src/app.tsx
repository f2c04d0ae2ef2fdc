// The app's top level: signed out, the sign-in screen; signed in, the workspace. A key the server
// refuses at any point (revoked, expired) ends the session and says so on the sign-in screen.
import { useCallback, useState } from 'react';

import { SignInScreen } from './components/sign-in-screen';
import { Workspace } from './components/workspace';
import { clearKey, loadKey, saveKey } from './session';

export function App() {
  const [apiKey, setApiKey] = useState(loadKey);
  const [notice, setNotice] = useState<string>();

  const signIn = useCallback((key: string) => {
    saveKey(key);
    setNotice(undefined);
    setApiKey(key);
  }, []);

  const signOut = useCallback((reason?: string) => {
    clearKey();
    setNotice(reason);
    setApiKey(undefined);
  }, []);

  if (!apiKey) return <SignInScreen notice={notice} onSignedIn={signIn} />;
  return <Workspace key={apiKey} apiKey={apiKey} onSignOut={signOut} />;
}
