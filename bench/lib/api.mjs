// A small client of the hgtrace HTTP API, on Node's fetch.

import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';

export class Api {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
  }

  async request(method, path, { token, body, expect = [200, 201, 202] } = {}) {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    const json = text ? safeJson(text) : null;
    if (!expect.includes(response.status)) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
    return json;
  }

  get(path, token) {
    return this.request('GET', path, { token });
  }

  post(path, token, body) {
    return this.request('POST', path, { token, body });
  }

  /** POST /api/v1/imports with the file streamed from disk. */
  async upload(token, file) {
    const form = new FormData();
    form.append('file', await openAsBlob(file, { type: 'text/csv' }), basename(file));
    const response = await fetch(`${this.baseUrl}/api/v1/imports`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    const text = await response.text();
    if (response.status !== 202) throw new Error(`upload of ${file} answered ${response.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text);
  }
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
