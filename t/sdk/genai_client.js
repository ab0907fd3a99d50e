// Drives the official @google/genai SDK against the gateway, as a user
// would: GOOGLE_GEMINI_BASE_URL (the gateway + /gemini) and GEMINI_API_KEY
// point at QuotaLane; the SDK's default API version (v1) or v1beta.
// Prints one JSON object with what the SDK returned.
'use strict';

const { GoogleGenAI } = require('@google/genai');

function client(apiKey) {
    const httpOptions = { baseUrl: process.env.GOOGLE_GEMINI_BASE_URL };

    if (process.env.API_VERSION) {
        httpOptions.apiVersion = process.env.API_VERSION;
    }

    return new GoogleGenAI({ apiKey, httpOptions });
}

async function main() {
    const ai = client(process.env.GEMINI_API_KEY);
    const model = process.env.MODEL || 'gemini-2.5-pro';
    const contents = 'Say hello';
    const out = {};

    const plain = await ai.models.generateContent({ model, contents });
    out.plain = { text: plain.text, usage: plain.usageMetadata };

    const stream = await ai.models.generateContentStream({ model, contents });
    let text = '';
    let chunks = 0;
    let usage = null;
    for await (const chunk of stream) {
        chunks++;
        text += chunk.text || '';
        usage = chunk.usageMetadata || usage;
    }
    out.stream = { text, chunks, usage };

    try {
        await client('cr_' + '0'.repeat(64)).models.generateContent({
            model, contents,
        });
        out.badKey = { status: 200 };
    } catch (err) {
        out.badKey = { status: err.status, message: String(err.message) };
    }

    process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
    process.stderr.write(String(err && err.stack || err) + '\n');
    process.exit(1);
});
