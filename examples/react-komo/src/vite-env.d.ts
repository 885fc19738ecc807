/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Origin of the Komo hub serving embed.js (default: the local simulator). */
  readonly VITE_KOMO_HUB?: string
  /** Origin of the Intercom Messenger script and API (default: the local simulator). */
  readonly VITE_INTERCOM_ORIGIN?: string
  /** The Intercom workspace's app id (default: the simulator's `demo-app`). */
  readonly VITE_INTERCOM_APP_ID?: string
  /** Canny's widget SDK script (default: the local simulator's `/sdk.js`). */
  readonly VITE_CANNY_SDK?: string
  /** The Canny board's token (default: the simulator's `board-demo`). */
  readonly VITE_CANNY_BOARD_TOKEN?: string
}
