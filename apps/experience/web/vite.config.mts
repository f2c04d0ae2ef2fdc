// Builds the web app into dist/apps/experience/web, which the BFF serves at `/`. Everything the page
// loads is an external, content-hashed file under assets/ (no inline script or style), so the BFF's
// Content-Security-Policy can forbid inline code and cache assets as immutable.
import { fileURLToPath } from 'node:url';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../../dist/apps/experience/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Never inline small assets as data: URLs into the CSS or JS.
    assetsInlineLimit: 0,
    // Every browser the app supports has <link rel="modulepreload">; the polyfill would only add bytes.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
  },
});
