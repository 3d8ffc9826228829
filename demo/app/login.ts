import { safeNext } from '../../client/index.js'
import { registerForServer } from './config.js'

// Registering takes a moment on a first visit; a submit before then waits for it.
const registered = registerForServer()
const form = document.getElementById('form') as HTMLFormElement

form.onsubmit = async (event) => {
  event.preventDefault()
  await registered
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
  // The worker took the tokens out of the answer; what is left is the user's data.
  location.assign(safeNext(new URLSearchParams(location.search).get('next')))
}
