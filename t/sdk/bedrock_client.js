// Drives AWS's own Bedrock runtime client against the mock Bedrock (not the
// gateway): the SDK signs with SigV4 and decodes the event stream, so this
// proves the mock checks real signatures and speaks real framing.  Env:
// BEDROCK_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, MODEL_ID.
// Prints one JSON object for the .t test to check.
'use strict';

const {
    BedrockRuntimeClient,
    InvokeModelCommand,
    InvokeModelWithResponseStreamCommand,
} = require('@aws-sdk/client-bedrock-runtime');
const { NodeHttpHandler } = require('@smithy/node-http-handler');

function client(secret) {
    return new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: process.env.BEDROCK_ENDPOINT,
        credentials: {
            accessKeyId: process.env.AWS_ACCESS_KEY_ID,
            secretAccessKey: secret,
        },
        maxAttempts: 1,
        // the mock speaks HTTP/1.1 (the client would try HTTP/2)
        requestHandler: new NodeHttpHandler(),
    });
}

async function main() {
    const good = client(process.env.AWS_SECRET_ACCESS_KEY);
    const body = JSON.stringify({
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 32,
        messages: [{ role: 'user', content: 'Say hello' }],
    });
    const params = {
        modelId: process.env.MODEL_ID,
        contentType: 'application/json',
        accept: 'application/json',
        body,
    };
    const out = {};

    const plain = await good.send(new InvokeModelCommand(params));
    const message = JSON.parse(Buffer.from(plain.body).toString('utf8'));
    out.plain = {
        text: message.content.map((b) => b.text).join(''),
        usage: message.usage,
    };

    const stream = await good.send(
        new InvokeModelWithResponseStreamCommand(params));
    const types = [];
    let text = '';
    let metrics = null;
    for await (const event of stream.body) {
        const e = JSON.parse(Buffer.from(event.chunk.bytes).toString('utf8'));
        types.push(e.type);
        if (e.type === 'content_block_delta') {
            text += e.delta.text;
        }
        if (e['amazon-bedrock-invocationMetrics']) {
            metrics = e['amazon-bedrock-invocationMetrics'];
        }
    }
    out.stream = { types, text, metrics };

    try {
        await client('not-the-secret').send(new InvokeModelCommand(params));
        out.badSecret = { status: 200 };
    } catch (err) {
        out.badSecret = {
            status: err.$metadata && err.$metadata.httpStatusCode,
            name: err.name,
        };
    }

    process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
    process.stderr.write(String(err && err.stack || err) + '\n');
    process.exit(1);
});
