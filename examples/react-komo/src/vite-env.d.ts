/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Origin of the Komo hub serving embed.js (default: the local simulator). */
  readonly VITE_KOMO_HUB?: string
}
