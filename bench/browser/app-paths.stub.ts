/** `$app/paths` for components bundled outside SvelteKit (the board bench): plain paths. */
export function resolve(route: string, params: Record<string, string> = {}): string {
  return route.replace(/\[(\w+)\]/g, (_, key: string) => params[key] ?? '');
}
