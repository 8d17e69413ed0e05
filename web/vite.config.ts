import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

// The console is served by the admin listener at `/`; relative asset URLs keep it working under any prefix.
export default defineConfig({
  root: webRoot,
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npm exec vite -- --config web/vite.config.ts` during development: API calls go to a local gateway.
    proxy: { '/api': process.env.MCPGW_ADMIN_URL ?? 'http://127.0.0.1:8081' },
  },
});
