import { vendorName } from '../vendors'
import type { SimulatorVendor } from '../vendors'
import { html } from './html'
import type { SafeHtml } from './html'

export type PageState = 'page' | 'signed-in' | 'refused'

/** A whole vendor-style page. `data-*` on `<main>` carry the machine-readable outcome. */
export function page(options: {
  vendor: SimulatorVendor
  title: string
  state?: PageState
  code?: string
  email?: string
  body: SafeHtml
}): string {
  const name = vendorName(options.vendor)
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · ${name} (simulator)</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2129}
header{background:#1d2129;color:#fff;padding:.75rem 1.5rem;font-weight:600}
main{max-width:40rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}
main[data-state=refused]{border-top:4px solid #c62828}
main[data-state=signed-in]{border-top:4px solid #2e7d32}
a.button{display:inline-block;padding:.5rem 1rem;background:#2962ff;color:#fff;border-radius:4px;text-decoration:none}
code{background:#eef;padding:0 .25rem;border-radius:3px;overflow-wrap:anywhere}
.received{margin-top:1.5rem;padding-top:1rem;border-top:1px solid #e3e5e8;font-size:14px}
.received h2{font-size:1.1rem;margin:0 0 .5rem}.received h3{font-size:1rem;margin:1rem 0 .25rem}
.received dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}
.received dt{color:#5f6670}.received dd{margin:0}
.received table{border-collapse:collapse;width:100%}.received td,.received th{text-align:left;padding:.15rem .4rem;border-bottom:1px solid #eef0f2;vertical-align:top}
.received ul.checks{list-style:none;padding:0;margin:0}.received .mark{display:inline-block;width:1.2em;font-weight:700}
.received [data-status=ok] .mark{color:#2e7d32}.received [data-status=fail] .mark{color:#c62828}
.received .note{color:#5f6670}
</style>
</head>
<body>
<header>${name} <small>(local simulator)</small></header>
<main data-vendor="${options.vendor}" data-state="${options.state ?? 'page'}"${
    options.code ? html` data-code="${options.code}"` : ''
  }${options.email ? html` data-email="${options.email}"` : ''}>
${options.body}
</main>
</body>
</html>
`.__html
}

/** The vendor-style refusal page: a clear reason and a stable `data-code`. */
export function refusalPage(
  vendor: SimulatorVendor,
  status: number,
  code: string,
  message: string,
): string {
  const name = vendorName(vendor)
  return page({
    vendor,
    title: status === 404 ? 'Not found' : 'Sign-in failed',
    state: 'refused',
    code,
    body: html`<h1>${status === 404 ? 'Page not found' : `${name} could not sign you in`}</h1>
<p class="reason" data-code="${code}">${message}</p>
<p>Error code: <code>${code}</code></p>`,
  })
}
