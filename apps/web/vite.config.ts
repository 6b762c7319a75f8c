import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** The API runs on its own port in development; the proxy keeps the browser on one origin, as in production. */
const api = "http://localhost:3000";

export default defineConfig({
  plugins: [react()],
  server: {
    // No changeOrigin: the server refuses a state-changing request whose Origin is not its Host.
    proxy: { "/trpc": api, "/healthz": api },
  },
  build: { target: "es2022" },
});
