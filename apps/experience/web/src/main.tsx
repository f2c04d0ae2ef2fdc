// Entry point: mounts the app. Styles are a hashed CSS file (no inline styles: the CSP forbids them).
import './styles.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './app';
import { applyTheme, savedTheme } from './theme';

applyTheme(savedTheme());
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
