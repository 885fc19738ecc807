import vm from 'node:vm'

/**
 * Just enough DOM for the Komo embed SDK, run in a `vm` context: elements with attributes,
 * children, textContent, `hidden`, click listeners, `[attr]` selectors and a MutationObserver
 * that reports appended nodes (asynchronously, like the real one).
 */
export class FakeElement {
  readonly nodeType = 1
  readonly attributes = new Map<string, string>()
  readonly children: FakeElement[] = []
  parent: FakeElement | null = null
  hidden = false
  private text = ''
  private readonly listeners = new Map<string, ((event: unknown) => void)[]>()

  constructor(
    readonly tagName: string,
    private readonly doc: FakeDocument,
  ) {}

  setAttribute(name: string, value: unknown): void {
    this.attributes.set(name, String(value))
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null
  }
  hasAttribute(name: string): boolean {
    return this.attributes.has(name)
  }
  removeAttribute(name: string): void {
    this.attributes.delete(name)
  }

  appendChild(child: FakeElement): FakeElement {
    child.parent = this
    this.children.push(child)
    this.doc.notifyAppended(this, child)
    return child
  }

  get textContent(): string {
    return this.text + this.children.map((c) => c.textContent).join('')
  }
  set textContent(value: string) {
    this.children.length = 0
    this.text = String(value)
  }

  querySelectorAll(selector: string): FakeElement[] {
    const attr = /^\[([\w-]+)\]$/.exec(selector)?.[1]
    if (!attr) throw new Error(`fake DOM supports only [attr] selectors, not ${selector}`)
    const found: FakeElement[] = []
    const walk = (el: FakeElement) => {
      for (const child of el.children) {
        if (child.hasAttribute(attr)) found.push(child)
        walk(child)
      }
    }
    walk(this)
    return found
  }

  /** The first descendant (or self) with this attribute. */
  find(attr: string): FakeElement | undefined {
    return this.hasAttribute(attr) ? this : this.querySelectorAll(`[${attr}]`)[0]
  }

  /** The first descendant `<button>`. */
  button(): FakeElement | undefined {
    const walk = (el: FakeElement): FakeElement | undefined => {
      for (const child of el.children) {
        if (child.tagName === 'BUTTON') return child
        const inner = walk(child)
        if (inner) return inner
      }
      return undefined
    }
    return walk(this)
  }

  addEventListener(type: string, fn: (event: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn])
  }
  click(): void {
    for (const fn of this.listeners.get('click') ?? []) fn({ type: 'click', target: this })
  }

  get isConnected(): boolean {
    let el: FakeElement | null = this
    while (el?.parent) el = el.parent
    return el === this.doc.documentElement
  }
}

type ObserverCallback = (records: { addedNodes: FakeElement[] }[]) => void

export class FakeDocument {
  readonly documentElement: FakeElement
  readonly body: FakeElement
  readonly baseURI: string
  currentScript: { src: string } | null
  private readonly observers: ObserverCallback[] = []

  constructor(pageUrl: string, scriptSrc: string) {
    this.baseURI = pageUrl
    this.currentScript = { src: scriptSrc }
    this.documentElement = new FakeElement('HTML', this)
    this.body = this.documentElement.appendChild(new FakeElement('BODY', this))
  }

  createElement(tag: string): FakeElement {
    return new FakeElement(tag.toUpperCase(), this)
  }

  getElementsByTagName(): FakeElement[] {
    return []
  }

  notifyAppended(parent: FakeElement, child: FakeElement): void {
    if (!parent.isConnected || this.observers.length === 0) return
    for (const cb of this.observers) queueMicrotask(() => cb([{ addedNodes: [child] }]))
  }

  observe(cb: ObserverCallback): void {
    this.observers.push(cb)
  }
}

export interface FakeBrowser {
  context: vm.Context
  document: FakeDocument
  /** Runs script source as the page would (a classic script). */
  run(source: string): unknown
  /** `window.komoEmbed` as the page sees it. */
  embed(): Record<string, unknown>
  warnings: string[]
}

/** A vm context with `window`, `document`, `MutationObserver`, `fetch`, `URL`, `atob`. */
export function fakeBrowser(pageUrl: string, scriptSrc: string): FakeBrowser {
  const document = new FakeDocument(pageUrl, scriptSrc)
  const warnings: string[] = []
  class MutationObserver {
    constructor(private readonly cb: ObserverCallback) {}
    observe(target: FakeElement): void {
      if (target !== document.documentElement)
        throw new Error('fake MutationObserver observes the root only')
      document.observe(this.cb)
    }
  }
  const sandbox: Record<string, unknown> = {
    document,
    MutationObserver,
    fetch,
    URL,
    atob,
    location: new URL(pageUrl),
    console: {
      ...console,
      warn: (msg: string) => warnings.push(msg),
      error: (err: unknown) => warnings.push(String(err)),
    },
  }
  sandbox.window = sandbox
  const context = vm.createContext(sandbox)
  return {
    context,
    document,
    run: (source) => vm.runInContext(source, context),
    embed: () => sandbox.komoEmbed as Record<string, unknown>,
    warnings,
  }
}
