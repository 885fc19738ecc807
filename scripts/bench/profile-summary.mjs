// Reads a V8 .cpuprofile (from `node --cpu-prof`) and names where the time went: the top
// functions by self time, and the share of samples spent inside a given code path (inclusive).
// `node scripts/bench/profile-summary.mjs <file.cpuprofile> [path fragment] [top N]`
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

export function summarizeProfile(file, { inside = '/packages/middleware/', top = 15 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map()
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id)
  const selfSamples = new Map()
  for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1)
  const total = profile.samples.length || 1

  const self = new Map()
  let idle = 0
  let insideCount = 0
  const insideCache = new Map()
  const isInside = (id) => {
    if (insideCache.has(id)) return insideCache.get(id)
    const node = byId.get(id)
    const result =
      Boolean(node?.callFrame.url.includes(inside)) ||
      (parent.has(id) ? isInside(parent.get(id)) : false)
    insideCache.set(id, result)
    return result
  }
  for (const [id, count] of selfSamples) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame
    if (functionName === '(idle)') idle += count
    if (isInside(id)) insideCount += count
    const key = `${functionName || '(anonymous)'} ${url ? `${basename(url)}:${lineNumber + 1}` : ''}`
    self.set(key, (self.get(key) ?? 0) + count)
  }
  const busy = total - idle || 1
  const rows = [...self.entries()]
    .filter(([key]) => !key.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, count]) => ({ name, percentOfBusy: (100 * count) / busy }))
  return {
    samples: total,
    idlePercent: (100 * idle) / total,
    insidePercentOfBusy: (100 * insideCount) / busy,
    rows,
  }
}

/**
 * The share of busy samples (in %) with a function of each given name on the stack (inclusive
 * time, each sample counted once per name), e.g. `{ compileRoutes: 4.2, komo: 20.1 }`. Names
 * match `callFrame.functionName` exactly. Time after an `await` is the continuation's own:
 * an async caller does not include it.
 */
export function inclusiveByName(file, names) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map()
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id)
  const wanted = new Set(names)
  const onStack = new Map()
  const namesOf = (id) => {
    if (onStack.has(id)) return onStack.get(id)
    const own = byId.get(id).callFrame.functionName
    const above = parent.has(id) ? namesOf(parent.get(id)) : new Set()
    const result = wanted.has(own) && !above.has(own) ? new Set([...above, own]) : above
    onStack.set(id, result)
    return result
  }
  const counts = Object.fromEntries(names.map((n) => [n, 0]))
  let idle = 0
  for (const id of profile.samples) {
    if (byId.get(id).callFrame.functionName === '(idle)') idle++
    for (const name of namesOf(id)) counts[name]++
  }
  const total = profile.samples.length || 1
  return {
    samples: profile.samples.length,
    idlePercent: (100 * idle) / total,
    percent: Object.fromEntries(names.map((n) => [n, (100 * counts[n]) / total])),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, inside, top] = process.argv.slice(2)
  const summary = summarizeProfile(file, { inside: inside || undefined, top: Number(top) || 15 })
  console.log(
    `${file}: ${summary.samples} samples, ${summary.idlePercent.toFixed(1)}% idle, ` +
      `${summary.insidePercentOfBusy.toFixed(1)}% of busy time inside ${inside || '/packages/middleware/'}`,
  )
  for (const row of summary.rows)
    console.log(`${row.percentOfBusy.toFixed(1).padStart(6)}%  ${row.name}`)
}
