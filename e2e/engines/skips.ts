import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter'

interface Tally {
  passed: number
  failed: number
  /** Reason → titles, for whole tests skipped (test.skip) and for steps skipped inside a test (`can()`). */
  skipped: Map<string, string[]>
  steps: Map<string, string[]>
}

const README = resolve(import.meta.dirname, '../../README.md')

/**
 * Prints, at the end of a run, what each engine passed and skipped, with
 * each skip's reason: a step an engine cannot do is named, never silent.
 * On a whole run (no file, grep or project filter) it also checks the
 * README's engine table against these counts, and fails the run when they
 * disagree, so the table can only say what the suite measured.
 */
export default class EngineSkips implements Reporter {
  private readonly byEngine = new Map<string, Tally>()
  private whole = false

  onBegin(_config: FullConfig, _suite: Suite): void {
    const args = process.argv.slice(process.argv.indexOf('test') + 1)
    this.whole = !args.some((arg) => !arg.startsWith('-') || /^(-g|--grep|--project|--last-failed|--only-changed)/.test(arg))
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const engine = test.parent.project()?.name ?? 'unknown'
    if (engine === 'soak') return
    const tally = this.byEngine.get(engine) ?? { passed: 0, failed: 0, skipped: new Map(), steps: new Map() }
    this.byEngine.set(engine, tally)
    const add = (map: Map<string, string[]>, reason: string) => map.set(reason, [...(map.get(reason) ?? []), test.title])
    const annotations = result.annotations ?? test.annotations
    if (result.status === 'skipped') add(tally.skipped, annotations.find((a) => a.type === 'skip')?.description ?? 'no reason given')
    else if (result.status === 'passed') tally.passed++
    else tally.failed++
    for (const step of annotations.filter((a) => a.type === 'skipped step')) add(tally.steps, step.description ?? 'no reason given')
  }

  async onEnd(result: FullResult): Promise<{ status?: FullResult['status'] } | undefined> {
    const count = (map: Map<string, string[]>) => [...map.values()].reduce((n, titles) => n + titles.length, 0)
    console.log('\nPer engine:')
    for (const [engine, tally] of this.byEngine) {
      console.log(`  ${engine}: ${tally.passed} passed, ${tally.failed} failed, ${count(tally.skipped)} skipped, ${count(tally.steps)} steps skipped`)
      for (const [reason, titles] of tally.skipped) console.log(`    skipped ${titles.length} (${reason})`)
      for (const [reason, titles] of tally.steps) console.log(`    step skipped in ${titles.length} (${reason})`)
    }
    if (!this.whole || result.status !== 'passed') return undefined
    const wrong = this.checkReadme(count)
    if (wrong.length === 0) return undefined
    console.log(`\nThe README's engine table disagrees with this run:\n${wrong.map((line) => `  ${line}`).join('\n')}`)
    return { status: 'failed' }
  }

  /** The README's row per engine: `| Firefox ESR | … | 120 | 6 | 3 | … |` (passed, skipped, steps skipped). */
  private checkReadme(count: (map: Map<string, string[]>) => number): string[] {
    const rows = new Map<string, string[]>()
    for (const line of readFileSync(README, 'utf8').split('\n')) {
      const cells = line.split('|').map((cell) => cell.trim())
      const engine = /^(chromium|firefox|webkit)\b/i.exec(cells[1] ?? '')?.[1]?.toLowerCase()
      if (engine && cells.length >= 7) rows.set(engine, cells)
    }
    const wrong: string[] = []
    for (const [engine, tally] of this.byEngine) {
      const cells = rows.get(engine)
      const measured = [tally.passed, count(tally.skipped), count(tally.steps)].map(String)
      if (!cells) wrong.push(`${engine}: no row in the README's engine table (measured ${measured.join(' / ')})`)
      else if (cells.slice(3, 6).join() !== measured.join()) {
        wrong.push(`${engine}: the README says ${cells.slice(3, 6).join(' / ')} passed / skipped / steps skipped; this run measured ${measured.join(' / ')}`)
      }
    }
    return wrong
  }

  printsToStdio(): boolean {
    return false
  }
}
