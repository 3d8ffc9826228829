import { expect, test } from './fixtures.js'

const bodies = ['json', 'form-data', 'blob', 'url-search-params'] as const

test.describe('B5 faithful replay', () => {
  for (const kind of bodies) {
    test(`a ${kind} body is replayed byte for byte, with its method and headers`, async ({ page, server, openConsole, login }) => {
      await openConsole()
      await login(page)
      server.auth.expireAccessTokens()
      const answer = await page.evaluate(async (kind) => {
        const bytes = new Uint8Array(4096).map((_, i) => (i * 7) % 256)
        const body =
          kind === 'json'
            ? JSON.stringify({ greeting: 'héllo', n: [1, 2, 3] })
            : kind === 'blob'
              ? new Blob([bytes], { type: 'application/octet-stream' })
              : kind === 'url-search-params'
                ? new URLSearchParams({ a: '1', b: 'two words' })
                : (() => {
                    const form = new FormData()
                    form.append('field', 'value')
                    form.append('file', new Blob([bytes], { type: 'image/png' }), 'pixels.png')
                    return form
                  })()
        const headers: Record<string, string> = { 'X-Trace': 'abc-123' }
        if (kind === 'json') headers['Content-Type'] = 'application/json'
        const response = await fetch('/api/echo', { method: 'PUT', body, headers })
        // A form's boundary is the browser's choice: its bytes are compared between the two sendings only.
        // (WebKit cannot read a Request whose FormData holds a Blob: 'Unable to read form data blob'.)
        const hex = async (sent: ArrayBuffer) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', sent))].map((b) => b.toString(16).padStart(2, '0')).join('')
        return {
          status: response.status,
          echo: (await response.json()) as { sha256: string; contentType: string },
          localSha256: kind === 'form-data' ? null : await hex(await new Request('/', { method: 'POST', body }).arrayBuffer()),
        }
      }, kind)

      expect(answer.status).toBe(200)
      const [first, replay] = server.requestsTo('/api/echo')
      expect(server.requestsTo('/api/echo')).toHaveLength(2)
      expect(first!.status).toBe(401)
      expect(replay!.status).toBe(200)
      expect(replay!.method).toBe('PUT')
      expect(replay!.bodySha256).toBe(first!.bodySha256)
      expect(replay!.bodySha256).not.toBe('')
      expect(replay!.contentType).toBe(first!.contentType)
      expect(replay!.headers['x-trace']).toBe('abc-123')
      if (kind === 'form-data') expect(replay!.contentType).toMatch(/^multipart\/form-data; boundary=/)
      else expect(replay!.bodySha256).toBe(answer.localSha256)
      expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    })
  }
})
