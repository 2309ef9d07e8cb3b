import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The web app, built into web/dist, which the server serves at `/` (src/http/routes/web.routes.ts). */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npx vite web` during development: the API comes from a running server (npm start).
    proxy: { '/api': process.env.API_URL ?? 'http://localhost:3000' },
  },
});
