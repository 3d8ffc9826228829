import { safeNext } from '../../client/index.js'
import { register } from './config.js'

const proxy = await register()
const form = document.getElementById('form') as HTMLFormElement

form.onsubmit = async (event) => {
  event.preventDefault()
  const data = new FormData(form)
  const response = await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: data.get('username'), password: data.get('password') }),
  })
  if (!response.ok) {
    document.getElementById('error')!.textContent = 'Wrong password: it is "demo".'
    return
  }
  await proxy.setTokens(await response.json())
  location.assign(safeNext(new URLSearchParams(location.search).get('next')))
}
