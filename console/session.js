// Who is signed in, and the REST API with their token.  The token of
// POST /api/v1/auth/login is kept for this browser tab only
// (sessionStorage); the session ends when the token expires or the API
// answers 401, and whoever listens (onEnd) clears the page.

const STORE = 'ql-token';

let session = null;
let timer = null;
let ended = () => {};

export function claims(token) {
  const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(part));
}

export const current = () => session;
export const isAdmin = () => Boolean(session && session.role === 'admin');

export function onEnd(fn) {
  ended = fn;
}

export function begin(token) {
  const c = claims(token);
  session = { token, id: String(c.sub), name: c.name, role: c.role };
  sessionStorage.setItem(STORE, token);
  clearTimeout(timer);
  timer = setTimeout(() => end('expiredSession'),
                     Math.max(0, c.exp * 1000 - Date.now()));
}

export function end(why) {
  session = null;
  sessionStorage.removeItem(STORE);
  clearTimeout(timer);
  ended(why);
}

// the tab's token from before a reload, if it has not expired
export function resume() {
  const saved = sessionStorage.getItem(STORE);
  if (!saved) {
    return false;
  }
  try {
    if (claims(saved).exp * 1000 > Date.now()) {
      begin(saved);
      return true;
    }
  } catch (e) {
    /* not a token: dropped below */
  }
  sessionStorage.removeItem(STORE);
  return false;
}

export async function login(username, password) {
  const res = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
    cache: 'no-store',
  });
  if (!res.ok) {
    return res.status;
  }
  begin((await res.json()).token);
  return 200;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(method, path, body) {
  if (!session) {
    throw new ApiError(401, 'unauthenticated', 'signed out');
  }
  const res = await fetch(path, {
    method,
    headers: Object.assign({ authorization: 'Bearer ' + session.token },
                           body ? { 'content-type': 'application/json' }
                                : {}),
    body: body ? JSON.stringify(body) : undefined,
    cache: 'no-store',
  });
  if (res.status === 401) {
    end('expiredSession');
    throw new ApiError(401, 'unauthenticated', 'signed out');
  }
  const json = res.status === 204 ? null
    : await res.json().catch(() => null);
  if (!res.ok) {
    throw new ApiError(res.status, json && json.error && json.error.code,
                       json && json.error ? json.error.message
                                          : `HTTP ${res.status}`);
  }
  return json;
}

// every item of a list, page by page (at most pages pages of 500)
export async function apiAll(path, member, pages = 20) {
  const q = new URL(path, location.href);
  q.searchParams.set('pageSize', '500');
  let all = [];
  for (let i = 0; i < pages; i++) {
    const r = await api('GET', q.pathname + q.search);
    all = all.concat(r[member] || []);
    if (!r.nextPageToken) {
      break;
    }
    q.searchParams.set('pageToken', r.nextPageToken);
  }
  return all;
}
