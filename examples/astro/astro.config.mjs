// @ts-check
import { defineConfig } from 'astro/config';

// The gateway, for `astro dev`: Vite's dev server forwards /api and /media to it, so the page and
// the API share one origin (the same setup serve.mjs gives the built site).
const api = process.env.API_URL ?? 'http://127.0.0.1:8000';

export default defineConfig({
  // Every page is static; the browser talks to the API itself (cookies never reach Astro).
  output: 'static',
  server: { port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' },
  devToolbar: { enabled: false },
  vite: {
    server: {
      proxy: {
        '/api': { target: api, xfwd: true },
        '/media': { target: api, xfwd: true },
      },
    },
  },
});
