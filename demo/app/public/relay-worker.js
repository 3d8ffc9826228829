// A dedicated worker that passes what its page sends on to the service worker.
// The demo uses it to show that the token proxy only listens to windows.
onmessage = (event) => {
  const controller = self.navigator.serviceWorker && self.navigator.serviceWorker.controller
  if (!controller) return postMessage('no controller')
  controller.postMessage(event.data)
  postMessage('sent')
}
