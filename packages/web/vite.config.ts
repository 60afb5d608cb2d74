import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The server serves dist/ at `/` with a strict CSP: no inline scripts, so no modulepreload polyfill either.
export const config = defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, modulePreload: { polyfill: false }, chunkSizeWarningLimit: 1500 },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.spec.ts', 'src/**/*.spec.tsx'],
    setupFiles: ['src/test-setup.ts'],
  },
});

// Vite reads the default export of its config file.
// eslint-disable-next-line no-restricted-syntax
export default config;
