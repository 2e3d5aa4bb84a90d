import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The server serves `dist/web/index.html` at `/` and `dist/web/assets/*`, nothing else, so the
 * build puts every file there and the UI routes by URL hash.
 */
export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
  },
  server: {
    // `vite --config web/vite.config.ts` serves the UI with live reload; everything that is not
    // the UI's own source goes to the API of a running `npm start`.
    proxy: { '^/(?!$|@|src/|node_modules/|index\\.html)': 'http://localhost:8080' },
  },
});
