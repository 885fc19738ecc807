// What every server child of the benchmarks answers besides serving (see scripts/lib/parent.mjs):
// `mark` (CPU time and memory, so the parent can work out CPU per request) and `gc` (collect
// twice, then memory).
export const BENCH_HANDLERS = {
  mark: () => ({ cpu: process.cpuUsage(), memory: process.memoryUsage() }),
  gc: () => {
    globalThis.gc?.()
    globalThis.gc?.()
    return { memory: process.memoryUsage() }
  },
}
