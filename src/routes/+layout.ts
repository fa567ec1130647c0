// SPA with an offline shell: no server rendering, no prerendering (adapter-static fallback).
export const ssr = false;
export const prerender = false;
