// The admin console: one page per #hash, each drawn from the documented
// REST API only (session.js), in English or Simplified Chinese.  Admins
// see every page; a user sees the dashboard, keys, usage and billing of
// their own.  When the session ends (log out, the token expires, the API
// answers 401) everything the last user saw is cleared.

import { setLang, savedLang, t } from './i18n.js';
import { $ } from './dom.js';
import { current, end, isAdmin, login, onEnd, resume } from './session.js';
import { dropCharts } from './charts.js';
import { dashboard } from './dashboard.js';
import { accounts, accountsInit, accountsReset } from './accounts.js';
import { keys, keysInit, keysReset } from './keys.js';
import { usage, usageInit, usageReset } from './usage.js';
import { billing, billingInit, billingReset } from './billing.js';
import { users, usersInit, usersReset } from './users.js';
import { audit, auditInit, auditReset } from './audit.js';

const pages = ['login', 'dashboard', 'accounts', 'keys', 'usage',
               'billing', 'users', 'audit'];
const adminPages = ['accounts', 'users', 'audit'];
const loaders = { dashboard, accounts, keys, usage, billing, users, audit };
const REFRESH_MS = 30000;

let refresh = null;

function notice(what) {
  $('notice').textContent = what ? t(what) : '';
  $('notice').hidden = !what;
}

function fail(e) {
  if (current()) {
    $('notice').textContent = String(e && e.message ? e.message : e);
    $('notice').hidden = false;
  }
}

// nothing of the last user's stays in the page
function cleared(why) {
  clearInterval(refresh);
  for (const el of document.querySelectorAll('main tbody, main .cards')) {
    el.replaceChildren();
  }
  dropCharts();
  accountsReset();
  keysReset();
  usageReset();
  billingReset();
  usersReset();
  auditReset();
  $('dash-updated').textContent = '';
  notice(why);
  location.hash = '#login';
  route();
}

async function route(focus) {
  let page = location.hash.slice(1) || 'dashboard';
  const who = current();
  if (!who) {
    page = 'login';
  } else if (!pages.includes(page) || page === 'login') {
    page = 'dashboard';
  }
  const admin = isAdmin();
  for (const el of document.querySelectorAll('[data-admin]')) {
    el.hidden = !admin;
  }
  $('nav').hidden = !who;
  $('logout').hidden = !who;
  $('who').textContent = who ? `${who.name} (${who.role})` : '';
  for (const a of $('nav').querySelectorAll('a[href^="#"]')) {
    if (a.hash === `#${page}`) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
  for (const p of pages) {
    $(p).hidden = p !== page;
  }
  clearInterval(refresh);
  if (adminPages.includes(page) && !admin) {
    $(page).hidden = true;
    notice('adminsOnly');
    return;
  }
  document.title = `${t(page)} — QuotaLane`;
  if (focus) {
    focusPage();
  }
  // the live pages draw themselves again while they are shown
  if (page === 'dashboard' || page === 'accounts') {
    refresh = setInterval(() => {
      if (!document.hidden) {
        loaders[page]().catch(fail);
      }
    }, REFRESH_MS);
  }
  if (loaders[page]) {
    try {
      await loaders[page]();
    } catch (e) {
      fail(e);
    }
  }
}

// a page's heading takes the focus when the page changes, so keyboard
// and screen reader users start at its top
function focusPage() {
  const page = pages.find((p) => !$(p).hidden);
  const h = page && $(page).querySelector('h2');
  if (h) {
    h.tabIndex = -1;
    h.focus({ preventScroll: true });
  }
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const status = await login($('username').value, $('password').value)
    .catch(() => 0);
  $('password').value = '';
  if (status !== 200) {
    notice(status === 429 ? 'tooMany' : status === 0 ? 'failed'
                                                     : 'badLogin');
    return;
  }
  notice(null);
  location.hash = '#dashboard';
  await route(true);
});

$('logout').addEventListener('click', () => end(null));
$('dash-refresh').addEventListener('click', () => dashboard().catch(fail));
$('range').addEventListener('change', () => dashboard().catch(fail));
window.addEventListener('hashchange', async () => {
  // signed out, the notice says why (the session ended) until a login
  if (current()) {
    notice(null);
  }
  await route(true);
});
$('lang').addEventListener('change', (e) => {
  setLang(e.target.value);
  route();
});

onEnd(cleared);
accountsInit();
keysInit();
usageInit(fail);
billingInit();
usersInit();
auditInit(fail);

const lang = savedLang();
$('lang').value = lang;
setLang(lang);
resume();
route();
