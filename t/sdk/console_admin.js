// Drives Debian's chromium, headless, through the admin console as an
// operator and then a plain user would: a wrong password, the keyboard
// on the login form, the admin's dashboard (charts, tops, accounts by
// state, the stream), accounts (test, a group, one made with the form,
// one through the OAuth flow, one edited, one deleted), a key created
// and copied and edited, users, a rotated key, traffic with the new key
// through the gateway seen on the dashboard, usage with filters and CSV,
// the audit log, plans, subscriptions and bills, Chinese; then the user,
// who sees no admin page.  Env: CONSOLE_URL (admind), GATEWAY_URL,
// MOCK_URL, ADMIN_USER, ADMIN_PASSWORD, USER_NAME, USER_PASSWORD, SHOTS,
// CHROMIUM.  Prints one JSON object for the .t test to check.
'use strict';

const puppeteer = require('puppeteer-core');

const env = process.env;
// what the page showed so far: printed even when a step fails
const out = { errors: [], shots: [] };

async function main() {
    const browser = await puppeteer.launch({
        executablePath: env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });

    try {
        const context = browser.defaultBrowserContext();
        await context.overridePermissions(env.CONSOLE_URL,
                                          ['clipboard-read',
                                           'clipboard-write']);
        const page = await browser.newPage();
        page.on('console', (m) => {
            if (m.type() === 'error') {
                out.errors.push(`${m.text()} ${m.location().url || ''}`);
            }
        });
        page.on('pageerror', (e) => out.errors.push(String(e)));
        page.on('dialog', (d) => d.accept());

        const shot = async (name) => {
            const path = `${env.SHOTS}/${name}.png`;
            await page.screenshot({ path, fullPage: true });
            out.shots.push(path);
        };
        const text = (sel) => page.$eval(sel, (e) => e.textContent.trim());
        const visible = (sel) => page.waitForSelector(sel, { visible: true });
        const shown = (sel) => page.$eval(sel, (e) => e.offsetParent !== null)
            .catch(() => false);
        const card = async (dl) => page.$$eval(`#${dl} dd`, (dds) =>
            Object.fromEntries(dds.map((d) => [d.dataset.name,
                                               d.textContent])));
        const table = (id) => page.$$eval(`#${id} tbody tr:not([data-empty])`,
            (rs) => rs.map((r) => [...r.children].map((c) =>
                c.textContent)));
        const until = (fn, ...args) => page.waitForFunction(fn, {}, ...args);
        // a row's button by the row's first cell and the button's label,
        // clicked in the page at once (tables are drawn again at times)
        const clickIn = async (tbl, name, label) => {
            for (let i = 0; i < 100; i++) {
                const done = await page.evaluate((t, n, l) => {
                    const row = [...document.querySelectorAll(
                        `#${t} tbody tr`)].find((r) =>
                        n === null || r.children[0].textContent === n);
                    const b = row && [...row.querySelectorAll('button')]
                        .find((e) => e.textContent === l);
                    if (b) {
                        b.click();
                    }
                    return Boolean(b);
                }, tbl, name, label);
                if (done) {
                    return;
                }
                await new Promise((r) => setTimeout(r, 100));
            }
            throw new Error(`no ${label} button in ${tbl}, row ${name}`);
        };
        const hasRow = (tbl, name) => until((t, n) => [...document
            .querySelectorAll(`#${t} tbody tr td:first-child`)]
            .some((td) => td.textContent === n), tbl, name);
        const setValue = (sel, value) => page.$eval(sel, (e, v) => {
            e.value = v;
            e.dispatchEvent(new Event('change', { bubbles: true }));
        }, value);
        const pickByText = (sel, prefix) => page.$eval(sel, (s, p) => {
            s.value = [...s.options].find((o) =>
                o.textContent.startsWith(p)).value;
            s.dispatchEvent(new Event('change', { bubbles: true }));
        }, prefix);
        const retype = async (sel, value) => {
            await page.$eval(sel, (e) => { e.value = ''; });
            await page.type(sel, value);
        };
        const login = async (user, password) => {
            await page.$eval('#username', (e) => { e.value = ''; });
            await page.type('#username', user);
            await page.type('#password', password);
            await page.click('#login-form button[type=submit]');
        };
        const go = async (hash) => {
            await page.click(`a[href="#${hash}"]`);
            await visible(`#${hash}`);
        };

        await page.setViewport({ width: 1280, height: 900 });
        await page.goto(`${env.CONSOLE_URL}/`, { waitUntil: 'networkidle0' });
        out.landed = page.url();
        await page.select('#lang', 'en');
        await visible('#login');
        await shot('console-login');

        // the keyboard: language, user name, password, the button
        await page.focus('body');
        out.loginTabs = [];
        for (let i = 0; i < 4; i++) {
            await page.keyboard.press('Tab');
            out.loginTabs.push(await page.evaluate(() =>
                document.activeElement.id || document.activeElement
                    .getAttribute('type') || document.activeElement.tagName));
        }
        out.unlabelled = await page.$$eval('input, select, textarea',
            (els) => els.filter((e) => !e.labels || e.labels.length === 0)
                .map((e) => e.id || e.name));

        await login(env.ADMIN_USER, 'not-the-password');
        await visible('#notice');
        out.badLogin = await text('#notice');

        await login(env.ADMIN_USER, env.ADMIN_PASSWORD);
        await visible('#dashboard');
        await page.waitForSelector('#states dd');
        await page.waitForSelector('#stream dd');
        await page.waitForSelector('#chart-cost canvas');
        out.focusAfterLogin = await page.evaluate(() =>
            `${document.activeElement.tagName} `
            + document.activeElement.textContent);
        out.who = await text('#who');
        out.totals = await card('totals');
        out.states = await card('states');
        out.stream = await card('stream');
        out.stateList = await table('state-list');
        out.stateUntil = await page.$eval(
            '#state-list tbody td:nth-child(3) time',
            (el) => Date.parse(el.dateTime)).catch(() => null);
        out.navAdmin = await page.$$eval('#nav a:not([hidden])',
                                         (a) => a.map((e) => e.hash));
        out.current = await page.$eval('#nav a[aria-current=page]',
                                       (a) => a.hash);
        out.charts = await page.$$eval('.chart', (cs) => cs.map((c) =>
            [c.id, Boolean(c.querySelector('canvas')),
             c.querySelectorAll('details tbody tr').length]));
        // the chart's numbers, as its table has them: the busy hour
        out.requestsChart = await page.$$eval(
            '#chart-requests details tbody tr', (rs) => rs.map((r) =>
                Number(r.children[1].textContent.replace(/,/g, '')))
                .reduce((a, b) => a + b, 0));
        out.topModels = await table('top-models');
        await shot('console-dashboard');
        await page.select('#range', '30d');
        await until(() => document.querySelectorAll(
            '#chart-cost details tbody tr').length === 30);
        out.days = await page.$$eval('#chart-cost details tbody tr', (rs) =>
            rs.length);
        await page.select('#range', '24h');
        await until(() => document.querySelectorAll(
            '#chart-cost details tbody tr').length === 24);

        // ---- accounts ----
        await go('accounts');
        await page.waitForSelector('#account-list tbody tr');
        out.focusAccounts = await page.evaluate(() =>
            `${document.activeElement.tagName} `
            + document.activeElement.textContent);
        out.accounts = await page.$$eval('#account-list tbody tr', (rows) =>
            rows.map((r) => [...r.children].slice(0, 8)
                .map((c) => c.textContent)));
        await clickIn('account-list', env.ACCOUNT_NAME, 'Test');
        await until(() =>
            document.getElementById('account-result').textContent !== '');
        out.testResult = await text('#account-result');

        // an account group
        await page.type('#group-form input[name=name]', 'browser-group');
        await page.select('#group-form select[name=platform]', 'openai');
        await page.click('#group-form button[type=submit]');
        await hasRow('group-list', 'browser-group');
        out.groups = (await table('group-list')).map((r) => r.slice(0, 3));

        // an API-key account made with the form, in that group, with
        // the models it serves and a model map
        const made = () => page.$eval('#account-made', (e) => e.textContent);
        await page.type('#account-form input[name=name]', 'browser-made');
        await page.select('#account-type', 'openai');
        await page.type('#account-form input[name=baseUrl]',
                        `${env.MOCK_URL}/openai`);
        await page.type('#account-form input[name=apiKey]', 'sk-browser-1');
        await pickByText('#account-group', 'browser-group');
        await page.type('#account-form [name=supportedModels]', 'gpt-4o');
        await page.type('#account-form [name=modelMap]',
                        'gpt-4o=gpt-4o-2024-08-06');
        await page.click('#account-form button[type=submit]');
        await until(() => document.getElementById(
            'account-made').textContent !== '');
        out.accountMade = await made();
        // every type's own fields in the form
        out.typeFields = {};
        for (const type of ['azure-openai', 'bedrock', 'codex',
                            'gemini-oauth']) {
            await page.select('#account-type', type);
            out.typeFields[type] = await page.$$eval(
                '#account-fields input', (is) => is.map((i) => i.name));
        }
        await page.select('#account-type', 'claude-console');

        // a Claude subscription through the OAuth flow: the provider (the
        // mock) approves the challenge of the address the console shows
        await page.select('#oauth-provider', 'claude');
        await page.click('#oauth-form button[type=submit]');
        await visible('#oauth-step');
        const authorize = new URL(await page.$eval('#oauth-url',
                                                   (a) => a.href));
        const q = authorize.searchParams;
        await fetch(`${env.MOCK_URL}/__mock/oauth`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ client_id: 'test-client', codes: {
                'browser-code': { challenge: q.get('code_challenge'),
                                  redirect_uri: q.get('redirect_uri') } } }),
        });
        await page.type('#oauth-name', 'max-browser');
        await page.type('#oauth-base', env.MOCK_URL);
        await page.type('#oauth-code', `browser-code#${q.get('state')}`);
        await page.click('#oauth-exchange button[type=submit]');
        await until((before) => document.getElementById(
            'account-made').textContent !== before, out.accountMade);
        out.oauthMade = await made();
        await hasRow('account-list', 'max-browser');

        // the same subscription renewed: a new code for that account
        await page.click('#oauth-form button[type=submit]');
        await until((first) => document.getElementById('oauth-url').href
            && document.getElementById('oauth-url').href !== first,
            authorize.href);
        const again = new URL(await page.$eval('#oauth-url',
                                               (a) => a.href)).searchParams;
        await fetch(`${env.MOCK_URL}/__mock/oauth`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ client_id: 'test-client', codes: {
                'renew-code': { challenge: again.get('code_challenge'),
                                redirect_uri: again.get('redirect_uri') } } }),
        });
        await pickByText('#oauth-renew', 'max-browser');
        out.renewNameShown = await shown('#oauth-name');
        await page.type('#oauth-code', `renew-code#${again.get('state')}`);
        await page.click('#oauth-exchange button[type=submit]');
        await until((before) => document.getElementById(
            'account-made').textContent !== before, out.oauthMade);
        out.oauthRenewed = await made();

        // a Droid account from a Factory login's refresh token
        await fetch(`${env.MOCK_URL}/__mock/oauth`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ refresh_tokens: ['rt-droid-browser'],
                                   expires_in: 3000 }),
        });
        await page.select('#oauth-provider', 'droid');
        out.droidStartShown = await shown('#oauth-start');
        out.droidCodeShown = await shown('#oauth-code');
        await page.type('#oauth-name', 'droid-browser');
        await page.type('#oauth-base', env.MOCK_URL);
        await page.type('#oauth-refresh', 'rt-droid-browser');
        await page.click('#oauth-exchange button[type=submit]');
        await until((before) => document.getElementById(
            'account-made').textContent !== before, out.oauthRenewed);
        out.droidMade = await made();
        await hasRow('account-list', 'droid-browser');
        out.accountButtons = await page.$$eval('#account-list tbody tr',
            (rs) => Object.fromEntries(rs.map((r) => [
                r.children[0].textContent,
                [...r.querySelectorAll('button')].map((b) =>
                    b.textContent)])));
        await until(() => [...document.querySelectorAll(
            '#group-list tbody tr')].some((r) => r.children[2].textContent
            === '1'));
        out.groupsAfter = (await table('group-list')).map((r) =>
            r.slice(0, 3));

        // an account deleted
        await clickIn('account-list', 'doomed', 'Delete');
        await until(() => ![...document.querySelectorAll(
            '#account-list tbody tr td:first-child')].some((td) =>
            td.textContent === 'doomed'));
        out.afterDelete = await page.$$eval(
            '#account-list tbody tr td:first-child',
            (tds) => tds.map((e) => e.textContent));

        // an account edited: priority, rpm, models, a new credential;
        // then tested with it
        await clickIn('account-list', 'browser-made', 'Edit');
        await visible('#account-edit');
        out.editFields = await page.$$eval('#account-edit-fields input',
                                           (is) => is.map((i) => i.name));
        out.editModels = await page.$eval('#account-edit [name=modelMap]',
                                          (e) => e.value);
        await retype('#account-edit [name=priority]', '5');
        await retype('#account-edit [name=rpmLimit]', '600');
        await retype('#account-edit [name=supportedModels]',
                     'gpt-4o\ngpt-4o-mini');
        await page.type('#account-edit [name=apiKey]', 'sk-browser-2');
        await page.$eval('#account-result', (e) => { e.textContent = ''; });
        await page.click('#account-edit button[type=submit]');
        await until(() => document.getElementById('account-result')
            .textContent !== '');
        out.accountEditResult = await text('#account-result');
        out.accountEditHidden = !(await shown('#account-edit'));
        await hasRow('account-list', 'browser-made');
        await page.$eval('#account-result', (e) => { e.textContent = ''; });
        await clickIn('account-list', 'browser-made', 'Test');
        await until(() => document.getElementById(
            'account-result').textContent.startsWith('browser-made'));
        out.editedTest = await text('#account-result');
        await shot('console-accounts');

        // ---- keys ----
        await go('keys');
        await page.waitForSelector('#key-owner option');
        out.keyOwner = await page.$eval('#key-owner', (s) =>
            s.options[s.selectedIndex].textContent);
        await page.type('#key-name', 'made in the browser');
        await page.click('#key-form button[type=submit]');
        await visible('#new-key');
        out.newKey = await text('#new-key-value');
        await page.click('#copy');
        await until(() =>
            document.getElementById('copied').textContent !== '');
        out.copied = await text('#copied');
        out.clipboard = await page.evaluate(() =>
            navigator.clipboard.readText().catch(() => null));
        await hasRow('key-list', 'made in the browser');
        await shot('console-keys');

        // its limits, platforms, models, clients, expiry, binding
        await clickIn('key-list', 'made in the browser', 'Edit');
        await visible('#key-edit');
        const ef = (name, value) => retype(`#key-edit [name=${name}]`,
                                           value);
        await ef('dailyCostLimitMicros', '5');
        await ef('rateLimitRequests', '100');
        await page.$$eval('#key-edit input[name=perm]', (boxes) =>
            boxes.forEach((b) => { b.checked = b.value === 'claude'; }));
        await ef('blockedModels', 'claude-opus-4-1');
        await ef('allowedClients', '^node');
        await setValue('#key-edit [name=expiresAt]', '2031-01-01');
        await pickByText('#key-edit [name=binding]',
                         `Account: ${env.ACCOUNT_NAME}`);
        out.keyEditInvalid = await page.$eval('#key-edit', (f) =>
            [...f.elements].filter((e) => e.checkValidity
                && !e.checkValidity()).map((e) => `${e.name}: `
                + e.validationMessage));
        await page.click('#key-edit button[type=submit]');
        await until(() => document.getElementById('key-result')
            .textContent !== '');
        out.keyEditResult = await text('#key-result');
        await until(() => [...document.querySelectorAll(
            '#key-list tbody tr')].some((r) => r.children[0].textContent ===
            'made in the browser' && r.children[4].textContent
            .includes('$5.0000')));
        out.keyRow = (await table('key-list')).find((r) =>
            r[0] === 'made in the browser').slice(0, 7);
        await shot('console-key-edit');

        // ---- users: one made, edited, disabled ----
        await go('users');
        await page.waitForSelector('#user-list tbody tr');
        await page.type('#user-form input[name=username]', 'carol');
        await page.type('#user-form input[name=password]', 'carol-password');
        await page.click('#user-form button[type=submit]');
        await hasRow('user-list', 'carol');
        const carol = async () => (await table('user-list')).find((c) =>
            c[0] === 'carol');
        out.carol = await carol();
        await clickIn('user-list', 'carol', 'Edit');
        await visible('#user-edit');
        await page.type('#user-edit [name=displayName]', 'Carol C.');
        await page.click('#user-edit button[type=submit]');
        await until(() => [...document.querySelectorAll(
            '#user-list tbody tr')].some((r) => r.children[1].textContent ===
            'Carol C.'));
        await clickIn('user-list', 'carol', 'Disable');
        await until(() => [...document.querySelectorAll(
            '#user-list tbody tr')].some((r) => r.children[0].textContent ===
            'carol' && r.children[3].textContent === 'disabled'));
        out.carolAfter = await carol();
        await shot('console-users');

        // ---- a key rotated: a new one shown once ----
        await go('keys');
        await page.waitForSelector('#key-list tbody tr');
        const beforeKey = await text('#new-key-value');
        await clickIn('key-list', 'someone else', 'Rotate');
        await until((b) => document.getElementById(
            'new-key-value').textContent !== b, beforeKey);
        out.rotated = await text('#new-key-value');

        // ---- traffic with the new key, then on the board ----
        const before = Number(out.totals.Requests);
        for (let i = 0; i < 2; i++) {
            const r = await fetch(`${env.GATEWAY_URL}/v1/messages`, {
                method: 'POST',
                headers: { 'x-api-key': out.newKey,
                           'user-agent': 'node',
                           'content-type': 'application/json',
                           'x-mock': 'input_tokens=100;output_tokens=20' },
                body: JSON.stringify({
                    model: 'claude-sonnet-4-5', max_tokens: 8,
                    messages: [{ role: 'user', content: `hi ${i}` }] }),
            });
            out.gateway = (out.gateway || []).concat(r.status);
        }
        await go('dashboard');
        for (let i = 0; i < 50; i++) {
            await page.click('#dash-refresh');
            await new Promise((r) => setTimeout(r, 200));
            out.totalsAfter = await card('totals');
            if (Number(out.totalsAfter.Requests) >= before + 2) {
                break;
            }
        }
        // the dashboard fills its tables one after the other
        await until((n) => [...document.querySelectorAll(
            '#top-keys tbody tr td:first-child')].some((td) =>
            td.textContent === 'made in the browser')
            && [...document.querySelectorAll('#top-accounts tbody tr')]
                .some((r) => Number(r.children[1].textContent) === n),
            before + 2).catch(() => null);
        out.topAccounts = await table('top-accounts');
        out.topKeys = await table('top-keys');
        out.requestsChartAfter = await page.$$eval(
            '#chart-requests details tbody tr', (rs) => rs.map((r) =>
                Number(r.children[1].textContent.replace(/,/g, '')))
                .reduce((a, b) => a + b, 0));

        // ---- usage records, filtered, their CSV ----
        const cdp = await page.createCDPSession();
        await cdp.send('Browser.setDownloadBehavior',
                       { behavior: 'allow', downloadPath: env.SHOTS });
        await go('usage');
        await until(() =>
            document.getElementById('usage-count').textContent !== '');
        out.usageCount = await text('#usage-count');
        out.usageRows = await table('usage-list');
        await pickByText('#usage-key', 'made in the browser');
        await page.click('#usage-form button[type=submit]');
        await until(() => document.getElementById(
            'usage-count').textContent.startsWith('2 '));
        out.usageByKey = await text('#usage-count');
        await setValue('#usage-key', '');
        await page.type('#usage-model', 'no-such-model');
        await page.click('#usage-form button[type=submit]');
        await until(() => document.getElementById(
            'usage-count').textContent.startsWith('0 '));
        out.usageFiltered = await text('#usage-count');
        await page.$eval('#usage-model', (e) => { e.value = ''; });
        await page.click('#usage-form button[type=submit]');
        await until(() => !document.getElementById(
            'usage-count').textContent.startsWith('0 '));
        await page.click('#csv');
        await until(() => document.getElementById('usage-exported')
            .textContent !== '');
        out.exported = await text('#usage-exported');
        await shot('console-usage');

        // ---- the audit log, newest first ----
        await go('audit');
        await page.waitForSelector('#audit-list tbody tr');
        out.audit = (await table('audit-list')).map((r) => r.slice(0, 5));
        await page.select('#audit-resource', 'api_key');
        await page.select('#audit-action', 'rotate');
        await page.click('#audit-form button[type=submit]');
        await until(() => document.getElementById('audit-count')
            .textContent.startsWith('1 '));
        out.auditRotations = (await table('audit-list')).map((r) =>
            r.slice(1, 4));
        await shot('console-audit');

        // ---- plans, subscriptions, bills ----
        await go('billing');
        await page.waitForSelector('#plan-list tbody tr');
        await page.waitForSelector('#subscription-list tbody tr');
        await page.type('#plan-form input[name=name]', 'team');
        await page.type('#plan-form input[name=quotaCostMicros]', '50');
        await page.type('#plan-form input[name=priceMicros]', '19.9');
        await page.click('#plan-form button[type=submit]');
        await until(() => document.querySelectorAll(
            '#plan-list tbody tr').length === 2);
        // the selects fill in after the tables
        await until(() => [...document.querySelectorAll(
            '#subscription-user option')].some((o) => o.textContent ===
            'admin') && [...document.querySelectorAll(
            '#subscription-plan option')].some((o) => o.textContent ===
            'team'));
        await pickByText('#subscription-user', 'admin');
        await pickByText('#subscription-plan', 'team');
        await page.click('#subscription-form button[type=submit]');
        await until(() => document.querySelectorAll(
            '#subscription-list tbody tr').length === 2);
        await clickIn('subscription-list', 'admin', 'Cancel');
        await until(() => [...document.querySelectorAll(
            '#subscription-list tbody tr')].some((r) => r.children[2]
            .textContent === 'cancelled'));
        out.plans = await table('plan-list');
        out.subscriptions = await table('subscription-list');
        await page.waitForSelector('#bill-list tbody tr');
        out.bills = await table('bill-list');
        out.billState = await text('#bill-state');
        out.closeShown = await shown('#bill-close');
        await setValue('#bill-month', '2020-01');
        await page.click('#bill-form button[type=submit]');
        await until(() => document.querySelector(
            '#bill-list tbody tr[data-empty]'));
        out.oldMonthClose = await shown('#bill-close');
        await shot('console-billing');

        await go('dashboard');
        await page.waitForSelector('#totals dd');
        await page.select('#lang', 'zh');
        out.navZh = await page.$$eval('#nav a:not([hidden])',
                                      (a) => a.map((e) => e.textContent));
        await page.waitForSelector('#chart-cost canvas');
        out.dashZh = await page.$eval('#dashboard h2', (e) => e.textContent);
        await shot('console-dashboard-zh');
        await page.select('#lang', 'en');

        // ---- a phone's width, as an admin ----
        await page.setViewport({ width: 390, height: 844 });
        out.phoneOverflowAdmin = {};
        for (const p of ['dashboard', 'accounts', 'keys', 'usage']) {
            await go(p);
            await new Promise((r) => setTimeout(r, 300));
            out.phoneOverflowAdmin[p] = await page.evaluate(() =>
                document.documentElement.scrollWidth >
                    window.innerWidth + 1);
        }
        await shot('console-phone-accounts');
        await page.setViewport({ width: 1280, height: 900 });

        // ---- a plain user ----
        await page.click('#logout');
        await visible('#login');
        out.clearedAfterLogout = await page.$$eval(
            'main tbody tr, main .cards div', (e) => e.length);
        await login(env.USER_NAME, env.USER_PASSWORD);
        await visible('#dashboard');
        await page.waitForSelector('#totals dd');
        out.userWho = await text('#who');
        out.userNav = await page.$$eval('#nav a',
            (a) => a.filter((e) => !e.hidden && e.offsetParent !== null)
                    .map((e) => e.hash));
        out.userStatesShown = await shown('#states');
        out.userTopAccountsShown = await shown('#top-accounts');
        await page.goto(`${env.CONSOLE_URL}/console/index.html#accounts`);
        await visible('#notice');
        out.userAccounts = await text('#notice');
        out.userAccountsShown = await shown('#account-list');
        await page.goto(`${env.CONSOLE_URL}/console/index.html#audit`);
        await visible('#notice');
        out.userAudit = await text('#notice');
        await page.goto(`${env.CONSOLE_URL}/console/index.html#users`);
        await visible('#notice');
        out.userUsers = await text('#notice');
        await go('usage');
        await until(() =>
            document.getElementById('usage-count').textContent !== '');
        out.userUsageCount = await text('#usage-count');
        out.userUsageFilters = await page.$$eval('#usage-form label',
            (ls) => ls.filter((l) => l.offsetParent !== null).map((l) =>
                l.querySelector('span').textContent));
        await go('billing');
        await page.waitForSelector('#subscription-list tbody tr');
        out.userSubscriptions = await table('subscription-list');
        out.userAdminForms = await page.$$eval(
            '#plan-form, #subscription-form, #bill-close',
            (fs) => fs.filter((f) => f.offsetParent !== null)
                .map((f) => f.id));
        out.userBills = await table('bill-list');
        out.staleRows = await page.$$eval('#key-list tbody tr',
                                          (rows) => rows.length);
        await go('keys');
        await page.waitForSelector('#key-list tbody tr');
        out.userKeys = (await table('key-list')).map((r) => r[0]);
        out.userKeyOwner = await shown('#key-owner');
        out.userKeyEditShown = await shown('#key-edit');
        await clickIn('key-list', 'bob key', 'Edit');
        await visible('#key-edit');
        out.userBindingShown = await shown('#key-edit [name=binding]');
        await page.click('#key-edit-cancel');
        await shot('console-user');

        await page.setViewport({ width: 390, height: 844 });
        out.phoneOverflow = await page.evaluate(() =>
            document.documentElement.scrollWidth > window.innerWidth + 1);
        await shot('console-phone');
        await page.setViewport({ width: 1280, height: 900 });

        // the user's session revoked meanwhile (an admin sets a new
        // password): the next call answers 401 and the console signs out,
        // clearing the page
        out.errorsBeforeRevoke = out.errors.length;
        const admin = await (await fetch(
            `${env.CONSOLE_URL}/api/v1/auth/login`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ username: env.ADMIN_USER,
                                       password: env.ADMIN_PASSWORD }),
            })).json();
        out.revokeStatus = (await fetch(
            `${env.CONSOLE_URL}/api/v1/users/${env.USER_ID}`, {
                method: 'PATCH',
                headers: { 'content-type': 'application/json',
                           authorization: `Bearer ${admin.token}` },
                body: JSON.stringify({ password: 'a-new-password-1' }),
            })).status;
        await page.click('a[href="#usage"]');
        await visible('#login');
        out.revoked = await text('#notice');
        out.revokedRows = await page.$$eval(
            'main tbody tr, main .cards div', (e) => e.length);
        out.revokedToken = await page.evaluate(() =>
            sessionStorage.getItem('ql-token'));

        // a directory user, through the same form
        await login(env.LDAP_USER, env.LDAP_PASSWORD);
        await visible('#dashboard');
        out.ldapWho = await text('#who');
        await go('keys');
        await page.waitForSelector('#key-list tbody tr');
        out.ldapKeys = (await table('key-list')).map((r) => r[0]);
        await page.click('#logout');
        await visible('#login');
    } finally {
        await browser.close();
    }

    process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
    process.stdout.write(JSON.stringify(out) + '\n');
    process.stderr.write(String(err && err.stack || err) + '\n');
    process.exit(1);
});
