import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'
import type { ProxyOptions } from 'vite'

// The Express demo owns sessions and the token endpoint; proxying keeps them same-origin, so the
// session cookie and the token endpoint's same-origin check work as they would in production.
// The Host header is passed through unchanged (no changeOrigin) so the app's own origin is this
// server's, which is what the browser sends as Origin.
const target = process.env.DEMO_API_URL ?? 'http://127.0.0.1:3000'
const proxy: Record<string, ProxyOptions> = Object.fromEntries(
  ['/login', '/logout', '/api', '/sso'].map((path) => [path, { target, autoRewrite: true }]),
)

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', proxy },
  preview: { host: '127.0.0.1', proxy },
})
