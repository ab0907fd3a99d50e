// Drives the official openai SDK against the gateway, as a user would:
// OPENAI_BASE_URL (the gateway + /openai/v1) and OPENAI_API_KEY point at
// QuotaLane.  With AZURE_ENDPOINT set it drives the AzureOpenAI client
// instead (endpoint = the gateway + /azure, api-key header).  Prints one
// JSON object with what the SDK returned, for the .t test to check.
'use strict';

const { OpenAI, AzureOpenAI } = require('openai');

function client(apiKey) {
    if (process.env.AZURE_ENDPOINT) {
        return new AzureOpenAI({
            endpoint: process.env.AZURE_ENDPOINT,
            apiKey,
            apiVersion: '2024-10-21',
            deployment: process.env.AZURE_DEPLOYMENT,
            maxRetries: 0,
        });
    }

    return new OpenAI({
        baseURL: process.env.OPENAI_BASE_URL,
        apiKey,
        maxRetries: 0,
    });
}

async function chat(c, out) {
    const request = {
        model: process.env.MODEL || 'gpt-4o',
        messages: [{ role: 'user', content: 'Say hello' }],
    };

    const plain = await c.chat.completions.create(request);
    out.chat = {
        text: plain.choices[0].message.content,
        usage: plain.usage,
    };

    const stream = await c.chat.completions.create({ ...request,
                                                     stream: true });
    let text = '';
    let chunks = 0;
    let usage = null;
    for await (const chunk of stream) {
        chunks++;
        if (chunk.usage) {
            usage = chunk.usage;
        }
        if (chunk.choices.length) {
            text += chunk.choices[0].delta.content || '';
        }
    }
    out.chatStream = { text, chunks, usage };
}

async function responses(c, out) {
    const request = {
        model: process.env.MODEL || 'gpt-4o',
        input: 'Say hello',
    };

    const plain = await c.responses.create(request);
    out.responses = { text: plain.output_text, usage: plain.usage };

    const stream = await c.responses.create({ ...request, stream: true });
    let text = '';
    let events = 0;
    let usage = null;
    for await (const event of stream) {
        events++;
        if (event.type === 'response.output_text.delta') {
            text += event.delta;
        }
        if (event.type === 'response.completed') {
            usage = event.response.usage;
        }
    }
    out.responsesStream = { text, events, usage };
}

async function main() {
    const c = client(process.env.OPENAI_API_KEY);
    const out = {};
    const only = process.env.ONLY || 'chat,responses';

    if (only.includes('chat')) {
        await chat(c, out);
    }
    if (only.includes('responses')) {
        await responses(c, out);
    }

    try {
        await client('cr_' + '0'.repeat(64)).chat.completions.create({
            model: 'gpt-4o',
            messages: [{ role: 'user', content: 'x' }],
        });
        out.badKey = { status: 200 };
    } catch (err) {
        out.badKey = { status: err.status, code: err.code, type: err.type };
    }

    process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
    process.stderr.write(String(err && err.stack || err) + '\n');
    process.exit(1);
});
