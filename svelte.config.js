import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // SPA: every unknown path gets the shell, which must also open offline.
    adapter: adapter({ fallback: 'index.html' }),
    // The app registers the worker itself (src/lib/ui/sw-register.ts) to offer updates.
    serviceWorker: { register: false },
  },
};

export default config;
