/** The server's only export: the router's type, for typed clients (the SPA imports it with `import type`). */
export type { AppRouter } from "./routers/_app";
