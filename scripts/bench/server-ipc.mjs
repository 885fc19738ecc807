// What every server child answers: `mark` (CPU time and memory, so the parent can work out CPU
// per request) and `gc` (collect twice, then memory).
export function answer(message) {
  if (message?.type === 'mark') {
    process.send({
      type: 'mark',
      id: message.id,
      cpu: process.cpuUsage(),
      memory: process.memoryUsage(),
    })
  } else if (message?.type === 'gc') {
    globalThis.gc?.()
    globalThis.gc?.()
    process.send({ type: 'gc', id: message.id, memory: process.memoryUsage() })
  }
}
