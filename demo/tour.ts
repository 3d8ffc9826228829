import type { Page } from '@playwright/test'

/**
 * A visitor's first minute with the demo: log in, a burst of 50 requests, the
 * access tokens expired at the server, another burst. Shared by the demo's
 * spec and the README screenshot, so the picture shows what the spec checks.
 */
export async function tour(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/`)
  await page.waitForURL(/\/login\?next=/)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.waitForURL(`${url}/`)
  await page.locator('#user', { hasText: 'ada' }).waitFor()
  const ok = page.locator('#log tr', { has: page.locator('td.ok', { hasText: /^200$/ }) })
  await page.getByRole('button', { name: 'Burst 50 requests' }).click()
  await waitForCount(ok, 51) // the burst and the page's first /api/me
  await page.getByRole('button', { name: 'Expire access tokens now' }).click()
  await page.locator('#log', { hasText: 'every access token expired at the server' }).waitFor()
  await page.getByRole('button', { name: 'Burst 50 requests' }).click()
  await waitForCount(ok, 101)
  await page.locator('#log', { hasText: 'tokens refreshed after a 401' }).waitFor()
}

async function waitForCount(locator: ReturnType<Page['locator']>, count: number): Promise<void> {
  await locator.nth(count - 1).waitFor()
}
