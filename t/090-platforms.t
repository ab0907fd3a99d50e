#!/usr/bin/perl
# Every account type through the gateway (issue 13): the routes its
# clients call, the upstream path and credential header its vendor takes,
# usage and cost in MySQL, our rejections in the platform's error shape,
# failover between two accounts of a type.  The mock speaks each vendor's
# wire format; the official clients are in t/091.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use QL::Stack;

my $stack = QL::Stack->new;
my $mock = $stack->mock_url;
my $TRUE = JSON::PP::true;

# The newest usage row of a key, once admind wrote it.
my %seen;
sub usage_row {
    my ($key) = @_;
    my @rows = $stack->usage_rows($key->{id}, ++$seen{ $key->{id} });
    return $rows[-1] // {};
}

sub last_upstream { $stack->mock_requests->[-1] // {} }

sub header_of {
    my ($rec, $name) = @_;
    for my $h (@{ $rec->{headers} || [] }) {
        return $h->[1] if lc $h->[0] eq lc $name;
    }
    return undef;
}

sub post {
    my ($path, $headers, $body) = @_;
    $stack->mock_clear;
    return $stack->gateway('POST', $path, $headers, $body);
}

my $xmock = 'input_tokens=100;output_tokens=20;cache_read=40';

# usage is per million tokens: tokens * $/token * 1e6 micro-dollars
sub cost { my ($in, $cached, $out, @p) = @_;
           return $in * $p[0] + $cached * $p[1] + $out * $p[2] }

subtest 'openai: chat completions and Responses, Bearer key' => sub {
    my $acct = $stack->make_account(type => 'openai',
        baseUrl => "$mock/openai", apiKey => 'sk-openai-1');
    my $key = $stack->make_key(accountId => $acct->{id});
    my $auth = { authorization => "Bearer $key->{key}", 'x-mock' => $xmock };

    my $r = post('/openai/v1/chat/completions', $auth,
                 { model => 'gpt-4o', messages => [
                     { role => 'user', content => 'hi' } ] });
    is($r->{status}, 200, 'chat completion answered');
    is($r->{json}{choices}[0]{message}{content}, 'Hello from mock', 'text');
    my $up = last_upstream();
    is($up->{path}, '/openai/v1/chat/completions', 'vendor path');
    is($up->{credential}, 'sk-openai-1', 'the account key, as Bearer');
    is(header_of($up, 'authorization'), 'Bearer sk-openai-1',
       'no client key upstream');

    my $u = usage_row($key);
    is($u->{platform}, 'openai', 'usage: platform');
    is($u->{model}, 'gpt-4o', 'usage: model');
    is_deeply([ @$u{qw(input_tokens cache_read_input_tokens output_tokens)} ],
              [ 100, 40, 20 ], 'usage: uncached, cached and output tokens');
    is($u->{cost_micros}, cost(100, 40, 20, 2.5, 1.25, 10), 'usage: cost');

    $r = post('/v1/responses', $auth,
              { model => 'gpt-4o', input => 'hi', stream => $TRUE });
    is($r->{status}, 200, 'Responses stream answered (no /openai prefix)');
    like($r->{content}, qr/event: response\.completed/, 'stream to the end');
    is(last_upstream()->{path}, '/openai/v1/responses', 'vendor path');
    $u = usage_row($key);
    is($u->{output_tokens}, 20, 'usage from response.completed');

    $r = post('/openai/v1/chat/completions', $auth,
              { model => 'gpt-4o', stream => $TRUE,
                messages => [ { role => 'user', content => 'hi' } ] });
    is($r->{status}, 200, 'chat stream answered');
    my $sent = decode_json(last_upstream()->{body});
    ok($sent->{stream_options}{include_usage},
       'the gateway asked for usage in the stream');
    unlike($r->{content}, qr/"choices":\[\]/,
           'the client, who did not ask, gets no usage chunk');
    like($r->{content}, qr/data: \[DONE\]/, 'the stream ends as usual');
    $u = usage_row($key);
    is($u->{input_tokens}, 100, 'usage read from the stripped chunk');

    # what the client sent of stream_options is kept, include_usage set
    for my $opts ({}, { include_usage => JSON::PP::false, keep => 1 }, undef) {
        post('/openai/v1/chat/completions', $auth,
             { model => 'gpt-4o', stream => $TRUE, stream_options => $opts,
               messages => [ { role => 'user', content => 'hi' } ] });
        $sent = decode_json(last_upstream()->{body});
        is_deeply($sent->{stream_options},
                  { include_usage => $TRUE,
                    ($opts && $opts->{keep} ? (keep => 1) : ()) },
                  'stream_options ' . encode_json($opts) . ' asks for usage');
    }

    $r = post('/openai/v1/chat/completions', $auth,
              { model => 'gpt-4o', stream => $TRUE,
                stream_options => { include_usage => $TRUE },
                messages => [ { role => 'user', content => 'hi' } ] });
    like($r->{content}, qr/"choices":\[\]/,
         'a client that asked for usage gets its chunk');

    $r = $stack->gateway('GET', '/openai/v1/models',
                         { authorization => "Bearer $key->{key}" });
    is($r->{status}, 200, 'model list');
    is(last_upstream()->{path}, '/openai/v1/models', 'vendor path');
};

subtest 'codex: Responses only, OAuth token and account id' => sub {
    my $acct = $stack->make_account(type => 'codex',
        baseUrl => "$mock/backend-api/codex", accessToken => 'tok-codex-1',
        chatgptAccountId => 'acct-codex-1');
    my $key = $stack->make_key(accountId => $acct->{id});
    my $auth = { authorization => "Bearer $key->{key}", 'x-mock' => $xmock,
                 session_id => 'sess-1' };

    my $r = post('/openai/responses', $auth,
                 { model => 'gpt-5-codex', input => 'hi', stream => $TRUE,
                   store => JSON::PP::false });
    is($r->{status}, 200, 'Codex CLI route answered');
    my $up = last_upstream();
    is($up->{path}, '/backend-api/codex/responses', 'Codex backend path');
    is($up->{credential}, 'tok-codex-1', 'OAuth token as Bearer');
    is(header_of($up, 'chatgpt-account-id'), 'acct-codex-1',
       'chatgpt-account-id from the account');
    my $u = usage_row($key);
    is($u->{cost_micros}, cost(100, 40, 20, 1.25, 0.125, 10),
       'usage and cost of gpt-5-codex');

    $r = post('/openai/v1/chat/completions', $auth,
              { model => 'gpt-5-codex', messages => [] });
    is($r->{status}, 503, 'no chat completions on a Codex account');
    is($r->{json}{error}{code}, 'service_unavailable', 'in the OpenAI shape');
};

subtest 'azure-openai: deployments, api-version, api-key' => sub {
    my $acct = $stack->make_account(type => 'azure-openai',
        baseUrl => $mock, apiKey => 'az-key-1',
        azureApiVersion => '2024-10-21',
        modelMap => { 'gpt-4o' => 'prod-4o' });
    my $key = $stack->make_key(accountId => $acct->{id});

    my $r = post('/azure/openai/deployments/gpt-4o/chat/completions'
                 . '?api-version=2024-02-01',
                 { 'api-key' => $key->{key}, 'x-mock' => $xmock },
                 { messages => [ { role => 'user', content => 'hi' } ] });
    is($r->{status}, 200, 'AzureOpenAI-style request answered');
    my $up = last_upstream();
    is($up->{path}, '/openai/deployments/prod-4o/chat/completions',
       'the mapped deployment');
    is($up->{query}, 'api-version=2024-10-21', "the account's api-version");
    is(header_of($up, 'api-key'), 'az-key-1', 'api-key header');
    ok(!defined header_of($up, 'authorization'), 'no Authorization');

    $r = post('/azure/openai/deployments/gpt-4o/chat/completions',
              { 'api-key' => 'cr_' . ('0' x 32) },
              { messages => [] });
    is($r->{status}, 401, 'a wrong api-key is refused');
    is($r->{json}{error}{code}, 'invalid_api_key', 'in the OpenAI shape');
};

subtest 'gemini: model in the path, x-goog-api-key, usageMetadata' => sub {
    my $acct = $stack->make_account(type => 'gemini', baseUrl => $mock,
                                    apiKey => 'g-key-1');
    my $key = $stack->make_key(accountId => $acct->{id});
    my $auth = { 'x-goog-api-key' => $key->{key}, 'x-mock' => $xmock };
    my $body = { contents => [ { role => 'user',
                                 parts => [ { text => 'hi' } ] } ] };

    my $r = post('/gemini/v1beta/models/gemini-2.5-pro:generateContent',
                 $auth, $body);
    is($r->{status}, 200, 'generateContent answered');
    my $up = last_upstream();
    is($up->{path}, '/v1beta/models/gemini-2.5-pro:generateContent',
       'vendor path');
    is(header_of($up, 'x-goog-api-key'), 'g-key-1', 'x-goog-api-key');
    my $u = usage_row($key);
    is($u->{model}, 'gemini-2.5-pro', 'usage: the model from the path');
    is($u->{cost_micros}, cost(100, 40, 20, 1.25, 0.125, 10), 'usage: cost');

    $r = post('/gemini/v1/models/gemini-2.5-pro:streamGenerateContent'
              . '?alt=sse&key=leak', $auth, $body);
    is($r->{status}, 200, 'streamGenerateContent (v1) answered');
    $up = last_upstream();
    is($up->{path}, '/v1/models/gemini-2.5-pro:streamGenerateContent',
       'the version the client asked');
    is($up->{query}, 'alt=sse', 'alt goes on, key does not');

    $r = post('/gemini/v1beta/models/gemini-2.5-pro:generateContent'
              . "?key=$key->{key}", {}, $body);
    is($r->{status}, 401, 'a key in the query string is not read');
    is($r->{json}{error}{status}, 'UNAUTHENTICATED', 'in the Gemini shape');
};

subtest 'gemini-oauth: Code Assist wrapping, unwrapped answers' => sub {
    my $acct = $stack->make_account(type => 'gemini-oauth', baseUrl => $mock,
        accessToken => 'ya29.ca-1', projectId => 'proj-ca-1');
    my $key = $stack->make_key(accountId => $acct->{id});
    my $auth = { 'x-goog-api-key' => $key->{key}, 'x-mock' => $xmock };
    my $body = { contents => [ { role => 'user',
                                 parts => [ { text => 'hi' } ] } ] };

    my $r = post('/gemini/v1beta/models/gemini-2.5-pro:generateContent',
                 $auth, $body);
    is($r->{status}, 200, 'generateContent answered');
    my $up = last_upstream();
    is($up->{path}, '/v1internal:generateContent', 'Code Assist path');
    is(header_of($up, 'authorization'), 'Bearer ya29.ca-1', 'OAuth token');
    is_deeply(decode_json($up->{body}),
              { model => 'gemini-2.5-pro', project => 'proj-ca-1',
                request => $body }, 'the request wrapped');
    ok($r->{json}{candidates} && !exists $r->{json}{response},
       'the answer unwrapped');
    is(usage_row($key)->{cost_micros}, cost(100, 40, 20, 1.25, 0.125, 10),
       'usage read from the unwrapped answer');

    $r = post('/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent'
              . '?alt=sse', $auth, $body);
    my @data = $r->{content} =~ /^data: (.*?)\r?$/mg;
    ok(@data >= 2, 'streamed events');
    is(scalar(grep { !/^\{"candidates"/ } @data), 0,
       'every event unwrapped') or diag($r->{content});
    is(usage_row($key)->{output_tokens}, 20, 'streamed usage');

    $r = post('/gemini/v1beta/models/gemini-2.5-pro:countTokens', $auth,
              $body);
    is($r->{status}, 503, 'countTokens is not served by Code Assist '
                          . 'accounts');
};

subtest 'droid: Anthropic and OpenAI shapes behind one bearer' => sub {
    my $acct = $stack->make_account(type => 'droid', baseUrl => $mock,
                                    apiKey => 'fk-droid-1');
    my $key = $stack->make_key(accountId => $acct->{id});
    my $auth = { 'x-api-key' => $key->{key}, 'x-mock' => $xmock };

    my $r = post('/droid/claude/v1/messages', $auth,
                 { model => 'claude-sonnet-4-5', max_tokens => 8,
                   messages => [ { role => 'user', content => 'hi' } ] });
    is($r->{status}, 200, 'Anthropic-shaped route answered');
    my $up = last_upstream();
    is($up->{path}, '/api/llm/a/v1/messages', 'Factory path');
    is(header_of($up, 'authorization'), 'Bearer fk-droid-1', 'Bearer');
    ok(!defined header_of($up, 'x-api-key'), 'no x-api-key upstream');

    $r = post('/droid/openai/v1/responses', $auth,
              { model => 'gpt-5', input => 'hi' });
    is($r->{status}, 200, 'OpenAI-shaped route answered');
    is(last_upstream()->{path}, '/api/llm/o/v1/responses', 'Factory path');
};

subtest 'ccr: "ccr,<provider>,<model>" goes to a router account' => sub {
    my $acct = $stack->make_account(type => 'ccr', baseUrl => $mock,
                                    apiKey => 'ccr-key-1');
    my $key = $stack->make_key;

    my $r = post('/v1/messages', { 'x-api-key' => $key->{key} },
                 { model => 'ccr,openrouter,some-model', max_tokens => 8,
                   messages => [ { role => 'user', content => 'hi' } ] });
    is($r->{status}, 200, 'answered');
    my $up = last_upstream();
    is($up->{credential}, 'ccr-key-1', 'by the ccr account');
    is(decode_json($up->{body})->{model}, 'openrouter,some-model',
       'the prefix stripped');
};

subtest 'permissions and client restrictions on every platform' => sub {
    my $key = $stack->make_key(permissions => [ 'claude' ]);

    my $r = post('/openai/v1/chat/completions',
                 { authorization => "Bearer $key->{key}" },
                 { model => 'gpt-4o', messages => [] });
    is($r->{status}, 403, 'openai refused for a claude-only key');
    is($r->{json}{error}{code}, 'permission_denied', 'OpenAI shape');

    $r = post('/gemini/v1beta/models/gemini-2.5-pro:generateContent',
              { 'x-goog-api-key' => $key->{key} }, { contents => [] });
    is($r->{status}, 403, 'gemini refused');
    is($r->{json}{error}{status}, 'PERMISSION_DENIED', 'Gemini shape');

    $r = post('/droid/claude/v1/messages', { 'x-api-key' => $key->{key} },
              { model => 'claude-sonnet-4-5', messages => [] });
    is($r->{status}, 403, 'droid needs its own permission');
    is($r->{json}{error}{type}, 'permission_error', 'Anthropic shape');

    my $cli = $stack->make_key(allowedClients => [ 'claude-cli' ]);
    for my $case (
        [ '/openai/v1/chat/completions', { model => 'gpt-4o' } ],
        [ '/gemini/v1beta/models/gemini-2.5-pro:generateContent', {} ],
        [ '/droid/openai/v1/responses', { model => 'gpt-5' } ],
    ) {
        $r = post($case->[0], { 'x-api-key' => $cli->{key},
                                'user-agent' => 'curl/8.0' }, $case->[1]);
        is($r->{status}, 403, "client restriction holds on $case->[0]");
    }
};

subtest 'failover between two accounts of each type' => sub {
    my $chat = { messages => [ { role => 'user', content => 'hi' } ] };
    my $claude = { model => 'claude-sonnet-4-5', max_tokens => 8,
                   messages => [ { role => 'user', content => 'hi' } ] };

    # type, its group's pool, the header the credential goes in, route,
    # body, what else the type needs
    for my $case (
        [ 'gemini', 'gemini', 'x-goog-api-key',
          '/gemini/v1beta/models/gemini-2.5-flash:generateContent',
          { contents => [] } ],
        [ 'gemini-oauth', 'gemini', 'authorization',
          '/gemini/v1beta/models/gemini-2.5-flash:generateContent',
          { contents => [] }, projectId => 'proj-fo' ],
        [ 'openai', 'openai', 'authorization', '/openai/v1/responses',
          { model => 'gpt-5', input => 'hi' }, baseUrl => "$mock/openai" ],
        [ 'codex', 'openai', 'authorization', '/openai/responses',
          { model => 'gpt-5-codex', input => 'hi', stream => $TRUE },
          baseUrl => "$mock/backend-api/codex",
          chatgptAccountId => 'acct-fo' ],
        [ 'azure-openai', 'azure', 'api-key',
          '/azure/openai/deployments/gpt-4o/chat/completions', $chat ],
        [ 'droid', 'droid', 'authorization', '/droid/claude/v1/messages',
          $claude ],
        [ 'ccr', 'ccr', 'x-api-key', '/v1/messages',
          { %$claude, model => 'ccr,openrouter,m' } ],
    ) {
        my ($type, $pool, $header, $path, $body, %more) = @$case;
        my @creds = map { "fo-$type-$_" } 1 .. 2;
        my $group = $stack->make_or_die('/api/v1/account-groups',
            { name => "fo-$type", platform => $pool });
        my $cred = $type =~ /^(codex|gemini-oauth)$/ ? 'accessToken'
                                                    : 'apiKey';
        for my $i (0, 1) {
            $stack->make_account(type => $type, baseUrl => $mock,
                $cred => $creds[$i], priority => 10 + $i,
                groupId => $group->{id}, %more);
        }
        my $key = $stack->make_key(groupId => $group->{id});
        my $value = $header eq 'authorization' ? "Bearer $creds[0]"
                                               : $creds[0];
        $stack->mock_clear;
        $stack->request('POST', "$mock/__mock/rules", {},
            { match => { header => $header, value => $value },
              'x-mock' => 'status=529', times => 1 });

        my $r = $stack->gateway('POST', $path, { 'x-api-key' => $key->{key} },
                                $body);
        is($r->{status}, 200, "$type: the 529 was failed over");
        my @tried = map { $_->{credential} } @{ $stack->mock_requests };
        is_deeply(\@tried, \@creds, "$type: first account, then the second");
    }
};

subtest 'supported models and model mapping steer the pick' => sub {
    my $only = $stack->make_account(type => 'openai',
        baseUrl => "$mock/openai", apiKey => 'sk-only-41',
        supportedModels => [ 'gpt-4.1' ], priority => 1);
    my $key = $stack->make_key(permissions => [ 'openai' ]);

    my $r = post('/openai/v1/chat/completions',
                 { authorization => "Bearer $key->{key}" },
                 { model => 'gpt-4.1', messages => [] });
    is(last_upstream()->{credential}, 'sk-only-41',
       'the account that lists the model takes it');

    $r = post('/openai/v1/chat/completions',
              { authorization => "Bearer $key->{key}" },
              { model => 'gpt-4o', messages => [] });
    isnt(last_upstream()->{credential} // '', 'sk-only-41',
         'another model goes elsewhere');
};

$stack->finish;
