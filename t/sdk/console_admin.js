// Drives Debian's chromium, headless, through the admin console as an
// operator and then a plain user would: a wrong password, the admin's
// dashboard, accounts with a test, a key created and copied, traffic with
// that key through the gateway seen on the dashboard, accounts made with
// the form and the OAuth flow, users, a rotated key, usage with CSV, the
// audit log, Chinese; the user sees no admin page.  Env: CONSOLE_URL
// (admind), GATEWAY_URL, MOCK_URL, ADMIN_USER, ADMIN_PASSWORD, USER_NAME,
// USER_PASSWORD, SHOTS, CHROMIUM.  Prints one
// JSON object for the .t test to check.
'use strict';

const puppeteer = require('puppeteer-core');

const env = process.env;

async function main() {
    const out = { errors: [], shots: [] };
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
        const card = async (dl) => page.$$eval(`#${dl} dd`, (dds) =>
            Object.fromEntries(dds.map((d) => [d.dataset.name,
                                               d.textContent])));
        // a row's button by the row's first cell and the button's label,
        // clicked in the page at once (tables are drawn again at times)
        const clickIn = async (table, name, label) => {
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
                }, table, name, label);
                if (done) {
                    return;
                }
                await new Promise((r) => setTimeout(r, 100));
            }
            throw new Error(`no ${label} button in ${table}, row ${name}`);
        };
        const login = async (user, password) => {
            await page.$eval('#username', (e) => { e.value = ''; });
            await page.type('#username', user);
            await page.type('#password', password);
            await page.click('#login-form button[type=submit]');
        };

        await page.setViewport({ width: 1280, height: 900 });
        await page.goto(`${env.CONSOLE_URL}/`, { waitUntil: 'networkidle0' });
        out.landed = page.url();
        await page.select('#lang', 'en');
        await visible('#login');
        await shot('console-login');

        await login(env.ADMIN_USER, 'not-the-password');
        await visible('#notice');
        out.badLogin = await text('#notice');

        await login(env.ADMIN_USER, env.ADMIN_PASSWORD);
        await visible('#dashboard');
        await page.waitForSelector('#states dd');
        out.who = await text('#who');
        out.totals = await card('totals');
        out.states = await card('states');
        out.navAdmin = await page.$$eval('#nav a:not([hidden])',
                                         (a) => a.map((e) => e.hash));
        await shot('console-dashboard');

        await page.click('a[href="#accounts"]');
        await page.waitForSelector('#account-list tbody tr');
        out.accounts = await page.$$eval('#account-list tbody tr', (rows) =>
            rows.map((r) => [...r.children].slice(0, 7)
                .map((c) => c.textContent)));
        await clickIn('account-list', null, 'Test');
        await page.waitForFunction(() =>
            document.getElementById('account-result').textContent !== '');
        out.testResult = await text('#account-result');

        // an account group
        await page.type('#group-form input[name=name]', 'browser-group');
        await page.select('#group-form select[name=platform]', 'openai');
        await page.click('#group-form button[type=submit]');
        await page.waitForSelector('#group-list tbody tr');
        out.groups = await page.$$eval('#group-list tbody tr', (rs) =>
            rs.map((r) => [...r.children].map((c) => c.textContent)));

        // an API-key account made with the form, in that group
        const made = () => page.$eval('#account-made', (e) => e.textContent);
        await page.type('#account-form input[name=name]', 'browser-made');
        await page.select('#account-type', 'openai');
        await page.type('#account-form input[name=baseUrl]',
                        `${env.MOCK_URL}/openai`);
        await page.type('#account-form input[name=apiKey]', 'sk-browser-1');
        await page.$eval('#account-group', (s) => {
            s.value = [...s.options].find((o) =>
                o.textContent.startsWith('browser-group')).value;
        });
        await page.click('#account-form button[type=submit]');
        await page.waitForFunction(() => document.getElementById(
            'account-made').textContent !== '');
        out.accountMade = await made();

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
        await page.waitForFunction((before) => document.getElementById(
            'account-made').textContent !== before, {}, out.accountMade);
        out.oauthMade = await made();
        await page.waitForFunction(() => document.querySelectorAll(
            '#account-list tbody tr').length === 3);
        out.accountNames = await page.$$eval(
            '#account-list tbody tr td:first-child',
            (tds) => tds.map((e) => e.textContent));
        out.accountButtons = await page.$$eval('#account-list tbody tr',
            (rs) => Object.fromEntries(rs.map((r) => [
                r.children[0].textContent,
                [...r.querySelectorAll('button')].map((b) =>
                    b.textContent)])));
        await page.waitForFunction(() => [...document.querySelectorAll(
            '#group-list tbody tr')].some((r) => r.children[2].textContent
            === '1'));

        // an account edited: priority, a new credential, then tested
        await clickIn('account-list', 'browser-made', 'Edit');
        await visible('#account-edit');
        await page.$eval('#account-edit [name=priority]',
                         (e) => { e.value = ''; });
        await page.type('#account-edit [name=priority]', '5');
        await page.type('#account-edit [name=credential]', 'sk-browser-2');
        await page.$eval('#account-result', (e) => { e.textContent = ''; });
        await page.click('#account-edit button[type=submit]');
        await page.waitForFunction(() =>
            document.getElementById('account-edit').hidden
            || document.getElementById('account-result').textContent);
        out.accountEditResult = await text('#account-result');
        await page.$eval('#account-edit', (f) => { f.hidden = true; });
        await page.waitForFunction(() => [...document.querySelectorAll(
            '#account-list tbody tr')].some((r) =>
            r.children[0].textContent === 'browser-made'));
        await clickIn('account-list', 'browser-made', 'Test');
        await page.waitForFunction(() => document.getElementById(
            'account-result').textContent.startsWith('browser-made'));
        out.editedTest = await text('#account-result');
        out.groupsAfter = await page.$$eval('#group-list tbody tr', (rs) =>
            rs.map((r) => [...r.children].map((c) => c.textContent)));
        await shot('console-accounts');

        await page.click('a[href="#keys"]');
        await visible('#key-form');
        await page.type('#key-name', 'made in the browser');
        await page.click('#key-form button[type=submit]');
        await visible('#new-key');
        out.newKey = await text('#new-key-value');
        await page.click('#copy');
        await page.waitForFunction(() =>
            document.getElementById('copied').textContent !== '');
        out.copied = await text('#copied');
        out.clipboard = await page.evaluate(() =>
            navigator.clipboard.readText().catch(() => null));
        await page.waitForFunction(() => [...document.querySelectorAll(
            '#key-list tbody tr td:first-child')].some((td) =>
            td.textContent === 'made in the browser'));
        await shot('console-keys');

        // the new key's limits, platforms, models, clients, expiry, binding
        await clickIn('key-list', 'made in the browser', 'Edit');
        await visible('#key-edit');
        const ef = async (name, value) => {
            await page.$eval(`#key-edit [name=${name}]`,
                             (e) => { e.value = ''; });
            await page.type(`#key-edit [name=${name}]`, value);
        };
        await ef('dailyCostLimitMicros', '5');
        await page.$$eval('#key-edit input[name=perm]', (boxes) =>
            boxes.forEach((b) => { b.checked = b.value === 'claude'; }));
        await ef('blockedModels', 'claude-opus-4-1');
        await ef('allowedClients', '^node');
        await page.$eval('#key-edit [name=expiresAt]',
                         (e) => { e.value = '2031-01-01'; });
        await page.$eval('#key-edit [name=accountId]', (s) => {
            s.value = s.options[1].value;
        });
        out.keyEditInvalid = await page.$eval('#key-edit', (f) =>
            [...f.elements].filter((e) => e.checkValidity
                && !e.checkValidity()).map((e) => `${e.name}: `
                + e.validationMessage));
        await page.click('#key-edit button[type=submit]');
        await page.waitForFunction(() =>
            document.getElementById('key-edit').hidden
            || !document.getElementById('notice').hidden,
            { timeout: 5000 }).catch(() => null);
        out.keyEditNotice = await text('#notice');
        await page.$eval('#key-edit', (f) => { f.hidden = true; });
        await shot('console-key-edit');

        // users: one made, then disabled
        await page.click('a[href="#users"]');
        await page.waitForSelector('#user-list tbody tr');
        await page.type('#user-form input[name=username]', 'carol');
        await page.type('#user-form input[name=password]', 'carol-password');
        await page.click('#user-form button[type=submit]');
        const carol = async () => page.$$eval('#user-list tbody tr',
            (rows) => rows.map((r) => [...r.children].map((c) =>
                c.textContent)).find((c) => c[0] === 'carol'));
        await page.waitForFunction(() => [...document.querySelectorAll(
            '#user-list tbody tr td:first-child')].some((td) =>
            td.textContent === 'carol'));
        out.carol = await carol();
        await clickIn('user-list', 'carol', 'Disable');
        await page.waitForFunction(() => [...document.querySelectorAll(
            '#user-list tbody tr')].some((r) => r.children[0].textContent ===
            'carol' && r.children[2].textContent === 'disabled'));
        out.carolAfter = await carol();
        await shot('console-users');

        // a key rotated: a new one shown once
        await page.click('a[href="#keys"]');
        await page.waitForSelector('#key-list tbody tr');
        const before_key = await text('#new-key-value');
        await clickIn('key-list', 'someone else', 'Rotate');
        await page.waitForFunction((b) => document.getElementById(
            'new-key-value').textContent !== b, {}, before_key);
        out.rotated = await text('#new-key-value');

        // traffic with the new key, through the gateway, then on the board
        const before = Number(out.totals.Requests);
        for (let i = 0; i < 2; i++) {
            const r = await fetch(`${env.GATEWAY_URL}/v1/messages`, {
                method: 'POST',
                headers: { 'x-api-key': out.newKey,
                           'content-type': 'application/json',
                           'x-mock': 'input_tokens=100;output_tokens=20' },
                body: JSON.stringify({
                    model: 'claude-sonnet-4-5', max_tokens: 8,
                    messages: [{ role: 'user', content: `hi ${i}` }] }),
            });
            out.gateway = (out.gateway || []).concat(r.status);
        }
        for (let i = 0; i < 50; i++) {
            await page.click('a[href="#dashboard"]');
            await page.waitForSelector('#totals dd');
            out.totalsAfter = await card('totals');
            if (Number(out.totalsAfter.Requests) >= before + 2) {
                break;
            }
            await page.click('a[href="#keys"]');
            await new Promise((r) => setTimeout(r, 200));
        }
        // the dashboard fills its tables one after the other
        await page.waitForFunction((n) => [...document.querySelectorAll(
            '#top-keys tbody tr td:first-child')].some((td) =>
            td.textContent === 'made in the browser')
            && [...document.querySelectorAll('#top-accounts tbody tr')]
                .some((r) => Number(r.children[1].textContent) === n),
            { timeout: 10000 }, before + 2).catch(() => null);
        out.topAccounts = await page.$$eval('#top-accounts tbody tr',
            (rows) => rows.map((r) => [...r.children].map((c) =>
                c.textContent)));
        out.topKeys = await page.$$eval('#top-keys tbody tr', (rows) =>
            rows.map((r) => [...r.children].map((c) => c.textContent)));
        // usage records, their CSV, the audit log
        const cdp = await page.createCDPSession();
        await cdp.send('Browser.setDownloadBehavior',
                       { behavior: 'allow', downloadPath: env.SHOTS });
        await page.click('a[href="#usage"]');
        await page.waitForFunction(() =>
            document.getElementById('usage-count').textContent !== '');
        out.usageCount = await text('#usage-count');
        out.usageRows = await page.$$eval('#usage-list tbody tr',
                                          (r) => r.length);
        await page.type('#usage-model', 'no-such-model');
        await page.click('#usage-form button[type=submit]');
        await page.waitForFunction(() => document.getElementById(
            'usage-count').textContent.startsWith('0 '));
        out.usageFiltered = await text('#usage-count');
        await page.$eval('#usage-model', (e) => { e.value = ''; });
        await page.click('#csv');
        await shot('console-usage');
        await page.click('a[href="#audit"]');
        await page.waitForSelector('#audit-list tbody tr');
        out.audit = await page.$$eval('#audit-list tbody tr', (rows) =>
            rows.map((r) => [...r.children].map((c) => c.textContent)));
        await shot('console-audit');

        await page.click('a[href="#billing"]');
        await page.waitForSelector('#plan-list tbody tr');
        await page.waitForSelector('#subscription-list tbody tr');
        const table = (id) => page.$$eval(`#${id} tbody tr`, (rs) =>
            rs.map((r) => [...r.children].map((c) => c.textContent)));
        await page.type('#plan-form input[name=name]', 'team');
        await page.type('#plan-form input[name=quotaCostMicros]', '50');
        await page.type('#plan-form input[name=priceMicros]', '19.9');
        await page.click('#plan-form button[type=submit]');
        await page.waitForFunction(() => document.querySelectorAll(
            '#plan-list tbody tr').length === 2);
        // the selects fill in after the tables
        await page.waitForFunction(() => [...document.querySelectorAll(
            '#subscription-user option')].some((o) => o.textContent ===
            'admin') && [...document.querySelectorAll(
            '#subscription-plan option')].some((o) => o.textContent ===
            'team'));
        await page.$eval('#subscription-user', (s) => {
            s.value = [...s.options].find((o) =>
                o.textContent === 'admin').value;
        });
        await page.$eval('#subscription-plan', (s) => {
            s.value = [...s.options].find((o) =>
                o.textContent === 'team').value;
        });
        await page.click('#subscription-form button[type=submit]');
        await page.waitForFunction(() => document.querySelectorAll(
            '#subscription-list tbody tr').length === 2);
        out.plans = await table('plan-list');
        out.subscriptions = await table('subscription-list');
        out.bills = await table('bill-list');
        await shot('console-billing');

        await page.select('#lang', 'zh');
        out.navZh = await page.$$eval('#nav a:not([hidden])',
                                      (a) => a.map((e) => e.textContent));
        await shot('console-dashboard-zh');
        await page.select('#lang', 'en');

        await page.click('#logout');
        await visible('#login');
        await login(env.USER_NAME, env.USER_PASSWORD);
        await visible('#dashboard');
        await page.waitForSelector('#totals dd');
        out.userWho = await text('#who');
        out.userNav = await page.$$eval('#nav a',
            (a) => a.filter((e) => !e.hidden && e.offsetParent !== null)
                    .map((e) => e.hash));
        out.userStatesShown = await page.$eval('#states',
            (e) => e.offsetParent !== null);
        await page.goto(`${env.CONSOLE_URL}/console/index.html#accounts`);
        await visible('#notice');
        out.userAccounts = await text('#notice');
        await page.goto(`${env.CONSOLE_URL}/console/index.html#audit`);
        await visible('#notice');
        out.userAudit = await text('#notice');
        await page.click('a[href="#usage"]');
        await page.waitForFunction(() =>
            document.getElementById('usage-count').textContent !== '');
        out.userUsageCount = await text('#usage-count');
        await page.click('a[href="#billing"]');
        await page.waitForSelector('#subscription-list tbody tr');
        out.userSubscriptions = await page.$$eval(
            '#subscription-list tbody tr', (rs) => rs.map((r) =>
                [...r.children].map((c) => c.textContent)));
        out.staleRows = await page.$$eval('#key-list tbody tr',
                                          (rows) => rows.length);
        await page.click('a[href="#keys"]');
        await page.waitForSelector('#key-list tbody tr');
        out.userKeys = await page.$$eval('#key-list tbody tr td:first-child',
                                         (tds) => tds.map((e) =>
                                             e.textContent));
        await shot('console-user');

        await page.setViewport({ width: 390, height: 844 });
        out.phoneOverflow = await page.evaluate(() =>
            document.body.scrollWidth > window.innerWidth + 1);
        await shot('console-phone');
    } finally {
        await browser.close();
    }

    process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
    process.stderr.write(String(err && err.stack || err) + '\n');
    process.exit(1);
});
