// Drives the official Anthropic SDK against the gateway, as a user would:
// ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY point at QuotaLane.  Prints one
// JSON object with what the SDK returned, for the .t test to check.
'use strict';

const Anthropic = require('@anthropic-ai/sdk').default;

async function main() {
    const client = new Anthropic({
        baseURL: process.env.ANTHROPIC_BASE_URL,
        apiKey: process.env.ANTHROPIC_API_KEY,
        maxRetries: 0,
    });
    const request = {
        model: 'claude-sonnet-4-5',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Say hello' }],
    };
    const out = {};

    const message = await client.messages.create(request);
    out.plain = {
        text: message.content.map((b) => b.text).join(''),
        usage: message.usage,
    };

    const stream = client.messages.stream(request);
    let text = '';
    let events = 0;
    stream.on('text', (t) => { text += t; });
    stream.on('streamEvent', () => { events++; });
    const final = await stream.finalMessage();
    out.stream = { text, events, usage: final.usage };

    try {
        const bad = new Anthropic({
            baseURL: process.env.ANTHROPIC_BASE_URL,
            apiKey: 'cr_' + '0'.repeat(64),
            maxRetries: 0,
        });
        await bad.messages.create(request);
        out.badKey = { status: 200 };
    } catch (err) {
        out.badKey = { status: err.status, type: err.error?.error?.type };
    }

    process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
    process.stderr.write(String(err && err.stack || err) + '\n');
    process.exit(1);
});
