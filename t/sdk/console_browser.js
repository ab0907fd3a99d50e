// Drives Debian's chromium, headless, through the key self-service page as
// a user would: a wrong key, their key, the numbers, Chinese, a phone's
// width, the keyboard.  Env: CONSOLE_URL (admind), API_KEY, SHOTS (a
// directory for screenshots), CHROMIUM (the browser).  Prints one JSON
// object with what the page showed, for the .t test to check.
'use strict';

const puppeteer = require('puppeteer-core');

async function main() {
    const out = { errors: [], shots: [] };
    const browser = await puppeteer.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });

    try {
        const page = await browser.newPage();
        page.on('console', (m) => {
            if (m.type() === 'error') {
                out.errors.push(m.text());
            }
        });
        page.on('pageerror', (e) => out.errors.push(String(e)));

        const shot = async (name) => {
            const path = `${process.env.SHOTS}/${name}.png`;
            await page.screenshot({ path, fullPage: true });
            out.shots.push(path);
        };
        const text = (sel) => page.$eval(sel, (e) => e.textContent.trim());

        await page.setViewport({ width: 1280, height: 800 });
        const res = await page.goto(
            `${process.env.CONSOLE_URL}/console/key.html`,
            { waitUntil: 'networkidle0' });
        out.landed = { status: res.status(), url: page.url() };
        await page.select('#lang', 'en');
        out.title = await text('h1');
        await shot('key-empty');

        // the keyboard reaches the language, the key and the button
        await page.focus('body');
        const order = [];
        for (let i = 0; i < 3; i++) {
            await page.keyboard.press('Tab');
            order.push(await page.evaluate(() => document.activeElement.id
                || document.activeElement.tagName.toLowerCase()));
        }
        out.tabOrder = order;

        await page.type('#key', 'cr_not-a-key');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#error:not([hidden])');
        out.badKey = await text('#error');
        await shot('key-bad');

        await page.$eval('#key', (e) => { e.value = ''; });
        await page.type('#key', process.env.API_KEY);
        await page.click('button[type=submit]');
        await page.waitForSelector('#result:not([hidden])');
        out.name = await text('#name');
        out.status = await text('#status');
        out.spending = await page.$$eval('#spending tbody tr', (rows) =>
            rows.map((r) => [...r.children].map((c) => c.textContent)));
        out.recent = await page.$$eval('#recent tbody tr', (rows) =>
            rows.map((r) => [...r.children].map((c) => c.textContent)));
        out.facts = await page.$$eval('.facts dd', (dds) =>
            dds.map((d) => d.textContent));
        await shot('key-usage-en');

        await page.select('#lang', 'zh');
        out.titleZh = await text('h1');
        out.spendingZh = await page.$$eval('#spending tbody th', (c) =>
            c.map((e) => e.textContent));
        await shot('key-usage-zh');

        await page.setViewport({ width: 390, height: 844 });
        out.phoneOverflow = await page.evaluate(() =>
            document.body.scrollWidth > window.innerWidth + 1);
        await shot('key-usage-phone');
    } finally {
        await browser.close();
    }

    process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
    process.stderr.write(String(err && err.stack || err) + '\n');
    process.exit(1);
});
