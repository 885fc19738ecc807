// Every image a README shows exists, is the PNG it claims to be, stays small, and has alt text;
// the screenshots `scripts/screenshots.mjs` writes are each shown by both READMEs (#16).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..')
const SCREENSHOTS = ['front-page.png', 'login.png', 'kustomer-received.png', 'inspector.png']
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** The repository's READMEs: the root's, and each package's and example's. */
function readmes(): string[] {
  const found = [join(ROOT, 'README.md')]
  for (const dir of ['packages', 'examples']) {
    for (const name of readdirSync(join(ROOT, dir))) {
      const file = join(ROOT, dir, name, 'README.md')
      if (existsSync(file)) found.push(file)
    }
  }
  return found
}

/** Markdown images `![alt](target)` and HTML `<img src alt>`, with the file they point at. */
function imagesIn(file: string): { alt: string; target: string; path: string }[] {
  const text = readFileSync(file, 'utf8')
  const images = [
    ...[...text.matchAll(/!\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => ({
      alt: m[1] ?? '',
      target: m[2] ?? '',
    })),
    // An `<img>` named in prose has no src: only tags with one are images.
    ...[...text.matchAll(/<img\b[^>]*\bsrc="[^"]*"[^>]*>/gi)].map((m) => ({
      alt: /\balt="([^"]*)"/i.exec(m[0])?.[1] ?? '',
      target: /\bsrc="([^"]*)"/i.exec(m[0])?.[1] ?? '',
    })),
  ]
  return images
    .filter((i) => !/^[a-z][a-z0-9+.-]*:/i.test(i.target))
    .map((i) => ({ ...i, path: join(dirname(file), decodeURI(i.target.split('#')[0] ?? '')) }))
}

describe("the READMEs' images", () => {
  it('every local image exists, is a PNG under 200 KB, and has alt text', () => {
    let checked = 0
    for (const file of readmes()) {
      for (const image of imagesIn(file)) {
        const where = `${relative(ROOT, file)}: ${image.target}`
        expect(existsSync(image.path), where).toBe(true)
        if (image.path.endsWith('.png')) {
          expect(readFileSync(image.path).subarray(0, 8).equals(PNG), where).toBe(true)
        }
        expect(statSync(image.path).size, where).toBeLessThan(200 * 1024)
        expect(image.alt.trim().length, where).toBeGreaterThan(10)
        checked++
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2 * SCREENSHOTS.length)
  })

  it('both the root README and the demo README show every screenshot', () => {
    const docs = join(ROOT, 'examples/express/docs')
    for (const file of [join(ROOT, 'README.md'), join(ROOT, 'examples/express/README.md')]) {
      const shown = imagesIn(file).map((i) => relative(docs, i.path))
      expect(shown, relative(ROOT, file)).toEqual(expect.arrayContaining(SCREENSHOTS))
    }
  })
})
