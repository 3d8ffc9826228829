/**
 * HTTP clients an app may already use, none of them told about the proxy:
 * the console page loads them on demand (`await clients()`) for the specs
 * that show each one gets the token (e2e/any-client.spec.ts).
 */
export { default as axios } from 'axios'
export { default as ky } from 'ky'
