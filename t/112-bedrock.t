#!/usr/bin/perl
# AWS Bedrock accounts (issue 17): the account type through the admin API,
# and Claude requests through the gateway to the mock Bedrock runtime,
# which recomputes every SigV4 signature with the known secret
# (t/mock/sigv4.py) and answers in Bedrock's own framing: the model in the
# path, the body as Bedrock takes it, JSON and event-stream answers turned
# back into Anthropic's, exact usage and cost in MySQL, Bedrock's errors
# in Anthropic's shape, throttling failed over to a Claude account and
# back, a stream's exception reported to the scheduler.  AWS's own SDK
# proves the mock speaks real Bedrock; Anthropic's SDK proves a Claude
# client sees no difference.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use QL::Stack;

my $stack = QL::Stack->new;
my $mock = $stack->mock_url;
my $P = 'ql:{main}:';
my $TRUE = JSON::PP::true;

# the IAM key the mock Bedrock knows (t/mock/mock_bedrock.py)
my $AKID = 'AKIDMOCKBEDROCK0001';
my $SECRET = 'mock/Bedrock+Secret0001EXAMPLEKEY';
my $PROFILE = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
my $PATH = '/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0';

sub api { $stack->admin(@_) }

sub hgetall {
    my $list = $stack->redis('HGETALL', $_[0]);
    return ref $list eq 'ARRAY' ? { @$list } : {};
}

sub header_of {
    my ($rec, $name) = @_;
    for my $h (@{ $rec->{headers} || [] }) {
        return $h->[1] if lc $h->[0] eq lc $name;
    }
    return undef;
}

sub error_ok {
    my ($res, $re, $name) = @_;
    my $e = ref $res->{json} eq 'HASH' ? $res->{json}{error} : undef;
    ok($res->{status} == 400 && ref $e eq 'HASH'
       && $e->{message} =~ $re, $name)
        or diag("got $res->{status} " . ($res->{content} // ''));
}

sub bedrock {
    my (%o) = @_;
    return $stack->make_account(type => 'bedrock', baseUrl => $mock,
        awsRegion => 'us-east-1', %o,
        ($o{apiKey} ? () : (awsAccessKeyId => $o{awsAccessKeyId} // $AKID,
                            awsSecretAccessKey =>
                                $o{awsSecretAccessKey} // $SECRET)));
}

my %seen;
sub usage_row {
    my ($key) = @_;
    my @rows = $stack->usage_rows($key->{id}, ++$seen{ $key->{id} });
    return $rows[-1] // {};
}

# usage is per million tokens: tokens * $/token * 1e6 micro-dollars
# (claude-sonnet-4-5: 3 input, 0.3 cache read, 15 output)
sub cost { my ($in, $cached, $out) = @_; $in * 3 + $cached * 0.3 + $out * 15 }

my $xmock = 'input_tokens=100;output_tokens=20;cache_read=40';

# each its own conversation: no sticky session binds it to an account
my $conversation = 0;
sub post {
    $stack->mock_clear;
    return send_message(@_);
}

# as post, the mock's rules kept
sub send_message {
    my ($key, $body, %h) = @_;
    $conversation++;
    return $stack->gateway('POST', '/v1/messages',
        { 'x-api-key' => $key->{key}, 'x-mock' => $xmock, %h },
        { model => 'claude-sonnet-4-5', max_tokens => 16,
          messages => [ { role => 'user', content => "hi $conversation" } ],
          %$body });
}

sub upstream { $stack->mock_requests->[-1] // {} }

# ---- the account type ----

subtest 'admin API: a bedrock account' => sub {
    my $a = bedrock(name => 'br-admin', awsSessionToken => 'FwoGZXIvYXdzEMOCK');
    is($a->{platform}, 'claude', 'platform claude');
    is($a->{awsRegion}, 'us-east-1', 'awsRegion');
    is($a->{awsAccessKeyId}, $AKID, 'awsAccessKeyId shown');
    ok($a->{hasCredential} && !exists $a->{awsSecretAccessKey}
       && !exists $a->{awsSessionToken}, 'secret and token stored, not shown');
    like($a->{credentialHint}, qr/KEY$/, 'the hint is of the secret');

    my $rec = hgetall("${P}account:$a->{id}");
    is_deeply([ @$rec{qw(type pools endpoints auth aws_region
                         aws_access_key_id)} ],
              [ 'bedrock', ',claude,bedrock,', ',messages,', 'sigv4',
                'us-east-1', $AKID ], 'record: pools, auth, region, key id');
    is(index($rec->{cred}, $SECRET), -1, 'the secret is sealed in Redis');
    ok($stack->redis('SISMEMBER', "${P}accounts:claude", $a->{id})
       && $stack->redis('SISMEMBER', "${P}accounts:bedrock", $a->{id}),
       'in the claude and the bedrock pools');

    my $k = bedrock(name => 'br-apikey', apiKey => 'ABSKbedrockapikey0001');
    $rec = hgetall("${P}account:$k->{id}");
    is_deeply([ @$rec{qw(auth aws_access_key_id)} ], [ 'bearer', '' ],
              'a Bedrock API key: bearer, no key id');

    my $u = api('PATCH', "/api/v1/accounts/$a->{id}",
                { apiKey => 'ABSKbedrockapikey0002' });
    is($u->{status}, 200, 'an IAM account moves to an API key');
    is($u->{json}{awsAccessKeyId}, undef, 'and drops its key id');
    is(hgetall("${P}account:$a->{id}")->{auth}, 'bearer', 'record follows');
    $u = api('PATCH', "/api/v1/accounts/$a->{id}",
             { awsAccessKeyId => $AKID, awsSecretAccessKey => $SECRET });
    is(hgetall("${P}account:$a->{id}")->{auth}, 'sigv4', 'and back');

    my %base = (type => 'bedrock', baseUrl => $mock, awsRegion => 'us-east-1');
    error_ok(api('POST', '/api/v1/accounts', { name => 'brx1', %base,
             apiKey => 'k', awsAccessKeyId => $AKID,
             awsSecretAccessKey => 's' }),
             qr/"awsSecretAccessKey" and "apiKey" exclude each other/,
             'an IAM key and an API key');
    error_ok(api('POST', '/api/v1/accounts', { name => 'brx2', %base,
             awsSecretAccessKey => 's' }),
             qr/"awsAccessKeyId" and "awsSecretAccessKey" go together/,
             'a secret without its key id');
    error_ok(api('POST', '/api/v1/accounts', { name => 'brx3', %base,
             apiKey => 'k', awsSessionToken => 't' }),
             qr/"awsSessionToken" goes with "awsSecretAccessKey"/,
             'a session token without a secret');
    error_ok(api('POST', '/api/v1/accounts', { name => 'brx4', %base }),
             qr/"awsSecretAccessKey" or "apiKey" is required/,
             'no credential');
    error_ok(api('POST', '/api/v1/accounts', { name => 'brx5',
             type => 'bedrock', baseUrl => $mock, apiKey => 'k' }),
             qr/"awsRegion" is required for type bedrock/, 'no region');
    error_ok(api('POST', '/api/v1/accounts', { name => 'brx6', %base,
             awsRegion => 'US_EAST', apiKey => 'k' }),
             qr/"awsRegion" may only contain/, 'region characters');
    error_ok(api('POST', '/api/v1/accounts', { name => 'brx7', %base,
             apiKey => 'k', awsAccessKeyId => 'akid-lower',
             awsSecretAccessKey => 's' }),
             qr/"awsAccessKeyId" may only contain|exclude each other/,
             'key id characters');
    error_ok(api('POST', '/api/v1/accounts', { name => 'brx8',
             type => 'claude-console', baseUrl => $mock, apiKey => 'k',
             awsRegion => 'us-east-1' }),
             qr/"awsRegion" does not apply to type claude-console/,
             'another type takes no AWS field');
    error_ok(api('POST', '/api/v1/accounts', { name => 'brx9',
             type => 'claude-console', baseUrl => $mock,
             awsSecretAccessKey => 's' }),
             qr/"awsSecretAccessKey" does not apply to type claude-console/,
             'nor an AWS secret');
    # no baseUrl: the region's runtime endpoint (not resolvable here)
    error_ok(api('POST', '/api/v1/accounts', { name => 'brx10',
             type => 'bedrock', awsRegion => 'eu-west-3', apiKey => 'k' }),
             qr/bedrock-runtime\.eu-west-3\.amazonaws\.com/,
             'the default endpoint is the region\'s');
    is($stack->sql_root("SELECT COUNT(*) FROM accounts WHERE name LIKE "
                        . "'brx%'"), "0\n", 'nothing refused was stored');

    api('DELETE', "/api/v1/accounts/$_->{id}") for $a, $k;
};

# ---- the mock is Bedrock: AWS's own SDK against it ----

subtest "AWS's Bedrock SDK against the mock" => sub {
    local $ENV{BEDROCK_ENDPOINT} = $mock;
    local $ENV{AWS_ACCESS_KEY_ID} = $AKID;
    local $ENV{AWS_SECRET_ACCESS_KEY} = $SECRET;
    local $ENV{MODEL_ID} = $PROFILE;
    my $err = $stack->dir . '/bedrock-sdk.err';
    my $out = `node $FindBin::Bin/sdk/bedrock_client.js 2>$err`;
    is($?, 0, 'the SDK ran') or diag(`cat $err`);
    my $r = eval { decode_json($out) } || {};
    is($r->{plain}{text}, 'Hello from mock', 'InvokeModel: signed, answered');
    is_deeply($r->{stream}{types}, [ qw(message_start content_block_start
              ping content_block_delta content_block_delta
              content_block_delta content_block_stop message_delta
              message_stop) ], 'the SDK decodes every event-stream frame');
    is($r->{stream}{text}, 'Hello from mock', 'streamed text');
    is($r->{stream}{metrics}{outputTokenCount}, 3, 'invocation metrics');
    is_deeply($r->{badSecret}, { status => 403,
              name => 'InvalidSignatureException' },
              'a wrong secret is refused as Bedrock refuses it');
};

subtest "the mock's SigV4 verifier: AWS's suite and the C signer" => sub {
    my $out = `python3 $FindBin::Bin/mock/test_sigv4.py 2>&1`;
    is($?, 0, 'python3 t/mock/test_sigv4.py passes') or diag($out);
    unlike($out, qr/skipped/, 'nothing skipped (build/tools/sigv4_sign '
           . 'cross-checks the C signer)') or diag($out);
};

# ---- Claude requests through the gateway ----

my $acct = bedrock(name => 'br-main');
my $key = $stack->make_key(accountId => $acct->{id});

subtest 'JSON answer: path, body, signature, usage' => sub {
    my $r = post($key, { stream => JSON::PP::false,
                         metadata => { user_id => 'u1' } },
                 'anthropic-beta' => 'claude-code-20250219,'
                     . 'interleaved-thinking-2025-05-14,oauth-2025-04-20',
                 'anthropic-version' => '2023-06-01');
    is($r->{status}, 200, 'answered') or diag($r->{content});
    is($r->{json}{content}[0]{text}, 'Hello from mock', 'Anthropic JSON');
    like($r->{headers}{'content-type'}, qr{^application/json},
         'as JSON');

    my $up = upstream();
    is($up->{path}, "$PATH/invoke", 'the model in the path, %3A-encoded');
    is($up->{status}, 200, 'the mock checked the signature');
    like(header_of($up, 'authorization'),
         qr{^AWS4-HMAC-SHA256 Credential=$AKID/\d{8}/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$},
         'SigV4 with the account\'s key');
    like(header_of($up, 'x-amz-date'), qr/^\d{8}T\d{6}Z$/, 'x-amz-date');
    is(header_of($up, 'x-api-key'), undef, 'no client key upstream');
    is(header_of($up, 'anthropic-beta'), undef,
       'the betas are not a header');
    my $sent = decode_json($up->{body});
    is($sent->{anthropic_version}, 'bedrock-2023-05-31', 'anthropic_version');
    ok(!exists $sent->{model} && !exists $sent->{stream},
       'no model, no stream');
    is_deeply($sent->{anthropic_beta}, [ 'interleaved-thinking-2025-05-14' ],
              'betas in the body, first-party ones dropped');
    is_deeply($sent->{metadata}, { user_id => 'u1' }, 'the rest as sent');

    my $u = usage_row($key);
    is_deeply([ @$u{qw(platform model input_tokens output_tokens
                       cache_read_input_tokens account_id)} ],
              [ 'claude', 'claude-sonnet-4-5-20250929', 100, 20, 40,
                $acct->{id} ],
              'usage: the model Bedrock ran, exact tokens, the account');
    is($u->{cost_micros}, cost(100, 40, 20), 'usage: cost');
};

subtest 'stream: event-stream to SSE, usage' => sub {
    my $r = post($key, { stream => $TRUE });
    is($r->{status}, 200, 'answered') or diag($r->{content});
    like($r->{headers}{'content-type'}, qr{^text/event-stream},
         'as an SSE stream');
    my @events = $r->{content} =~ /^event: (\w+)$/mg;
    is_deeply(\@events, [ qw(message_start content_block_start ping
              content_block_delta content_block_delta content_block_delta
              content_block_stop message_delta message_stop) ],
              'every Bedrock chunk as its Anthropic event, in order');
    my $text = join '', map { decode_json($_)->{delta}{text} // '' }
               grep { /content_block_delta/ }
               $r->{content} =~ /^data: (.*)$/mg;
    is($text, 'Hello from mock', 'the text');
    is(upstream()->{path}, "$PATH/invoke-with-response-stream",
       'the stream endpoint');
    my $u = usage_row($key);
    is_deeply([ @$u{qw(input_tokens output_tokens cache_read_input_tokens)} ],
              [ 100, 20, 40 ], 'usage read from the converted stream');
    is($u->{cost_micros}, cost(100, 40, 20), 'cost');

    # a long stream in many frames, read as it comes
    $r = post($key, { stream => $TRUE },
              'x-mock' => 'events=300;output_tokens=300;token_ms=0');
    is(scalar(() = $r->{content} =~ /^event: content_block_delta$/mg), 300,
       '300 deltas through');
    is(usage_row($key)->{output_tokens}, 300, 'and billed');
};

subtest "Claude Code's request shape" => sub {
    $stack->mock_clear;
    my $r = $stack->gateway('POST', '/v1/messages?beta=true',
        { 'x-api-key' => $key->{key}, 'anthropic-version' => '2023-06-01',
          'anthropic-beta' => 'claude-code-20250219,oauth-2025-04-20,'
              . 'interleaved-thinking-2025-05-14,'
              . 'fine-grained-tool-streaming-2025-05-14',
          'user-agent' => 'claude-cli/2.0.0 (external, cli)',
          'x-app' => 'cli' },
        { model => 'claude-sonnet-4-5-20250929', max_tokens => 32000,
          stream => $TRUE,
          system => [ { type => 'text', text => 'You are Claude Code',
                        cache_control => { type => 'ephemeral' } } ],
          messages => [ { role => 'user', content => [
              { type => 'text', text => 'hi' } ] } ],
          tools => [ { name => 'Bash', description => 'run',
                       input_schema => { type => 'object' } } ],
          metadata => { user_id => 'user_abc_account__session_1' } });
    is($r->{status}, 200, 'answered') or diag($r->{content});
    like($r->{content}, qr/event: message_stop/, 'to the end');
    my $up = upstream();
    is($up->{path}, "$PATH/invoke-with-response-stream",
       'the dated name maps to the same profile; no ?beta=true');
    is($up->{status}, 200, 'signature checked');
    my $sent = decode_json($up->{body});
    is_deeply($sent->{anthropic_beta}, [ 'interleaved-thinking-2025-05-14',
              'fine-grained-tool-streaming-2025-05-14' ], 'betas');
    is($sent->{system}[0]{cache_control}{type}, 'ephemeral',
       'system, tools and metadata as sent');
};

subtest 'model ids: modelMap, region, unknown names' => sub {
    my $eu = bedrock(name => 'br-eu', awsRegion => 'eu-central-1');
    my $k = $stack->make_key(accountId => $eu->{id});
    post($k, { model => 'claude-haiku-4-5' });
    is(upstream()->{path},
       '/model/eu.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke',
       'the eu. profile in an eu region');
    post($k, { model => 'anthropic.claude-v2' });
    is(upstream()->{path}, '/model/anthropic.claude-v2/invoke',
       'a name the table lacks passes as it is');
    is_deeply([ map { $_->{model} } $stack->usage_rows($k->{id}, 2) ],
              [ 'claude-haiku-4-5-20251001', 'anthropic.claude-v2' ],
              'billed by the model Bedrock names');

    my $arn = 'arn:aws:bedrock:eu-central-1:123:'
              . 'application-inference-profile/abc';
    my $mapped = bedrock(name => 'br-mapped', awsRegion => 'eu-central-1',
                         modelMap => { 'claude-opus-4-1' => $arn });
    $k = $stack->make_key(accountId => $mapped->{id});
    post($k, { model => 'claude-opus-4-1' });
    is(upstream()->{path}, '/model/arn%3Aaws%3Abedrock%3Aeu-central-1%3A123'
       . '%3Aapplication-inference-profile%2Fabc/invoke',
       'the account\'s modelMap wins, encoded as one segment');
    is(upstream()->{status}, 200, 'and is signed as sent');
};

subtest 'session token and Bedrock API key' => sub {
    my $t = bedrock(name => 'br-sts', awsSessionToken => 'FwoGZXIvYXdzSTS');
    my $k = $stack->make_key(accountId => $t->{id});
    my $r = post($k, {});
    is($r->{status}, 200, 'answered with a session token');
    my $up = upstream();
    is(header_of($up, 'x-amz-security-token'), 'FwoGZXIvYXdzSTS',
       'x-amz-security-token sent');
    like(header_of($up, 'authorization'),
         qr/SignedHeaders=host;x-amz-date;x-amz-security-token,/,
         'and signed');

    my $b = bedrock(name => 'br-bearer', apiKey => 'ABSKbedrock0003');
    $k = $stack->make_key(accountId => $b->{id});
    $r = post($k, { stream => $TRUE });
    is($r->{status}, 200, 'answered with an API key');
    $up = upstream();
    is(header_of($up, 'authorization'), 'Bearer ABSKbedrock0003',
       'the API key as a bearer token');
    is(header_of($up, 'x-amz-date'), undef, 'no signature');
    like($r->{content}, qr/event: message_stop/, 'stream converted');
};

subtest 'account test: one signed request' => sub {
    for my $case ([ 'an IAM key', $acct ],
                  [ 'a session token', bedrock(name => 'br-test-sts',
                        awsSessionToken => 'FwoGZXIvYXdzTEST') ],
                  [ 'an API key', bedrock(name => 'br-test-key',
                        apiKey => 'ABSKbedrock0004') ]) {
        my ($what, $a) = @$case;
        $stack->mock_clear;
        my $r = api('POST', "/api/v1/accounts/$a->{id}/test", {});
        is($r->{status}, 200, "$what: tested") or diag($r->{content});
        is_deeply([ @{ $r->{json} }{qw(ok status model)} ],
                  [ JSON::PP::true, 200, 'claude-haiku-4-5' ],
                  "$what: Bedrock answered");
        my $up = upstream();
        is($up->{path}, '/model/us.anthropic.claude-haiku-4-5-20251001-v1'
           . '%3A0/invoke', "$what: the profile's invoke path");
        is(decode_json($up->{body})->{anthropic_version},
           'bedrock-2023-05-31', "$what: Bedrock's body");
    }
    my $bad = bedrock(name => 'br-test-bad', awsSecretAccessKey => 'wrong');
    my $r = api('POST', "/api/v1/accounts/$bad->{id}/test", {});
    is_deeply([ @{ $r->{json} }{qw(ok status)} ], [ JSON::PP::false, 403 ],
              'a wrong secret: Bedrock\'s 403');
    like(encode_json($r->{json}{error}), qr/signature does not match/,
         'with its reason');
    api('DELETE', "/api/v1/accounts/$bad->{id}");
};

subtest "Bedrock's errors in Anthropic's shape" => sub {
    my $r = post($key, {}, 'x-mock' => 'status=400;message=bad%20field');
    is($r->{status}, 400, 'a validation error passes');
    is_deeply($r->{json}, { type => 'error', error => {
              type => 'invalid_request_error', message => 'bad field' } },
              'as Anthropic\'s invalid_request_error, Bedrock\'s message');

    $r = post($key, {}, 'x-mock' => 'status=424;message=model%20failed');
    is($r->{status}, 424, 'a model error passes');
    is_deeply($r->{json}, { type => 'error', error => {
              type => 'api_error', message => 'model failed' } },
              'as Anthropic\'s api_error, with Bedrock\'s message');
    like($r->{headers}{'content-type'}, qr{^application/json}, 'JSON');

    $r = post($key, {}, 'x-mock' => 'status=404');
    is($r->{json}{error}{type}, 'not_found_error', 'not found');

    # a stream Bedrock ends with an exception: the client's error event,
    # the account cooled down
    $r = post($key, { stream => $TRUE },
              'x-mock' => 'error_after=3;exception=throttlingException;'
                  . 'message=Too%20many%20tokens');
    is($r->{status}, 200, 'the stream had begun');
    like($r->{content}, qr/event: error\ndata: \{"type":"error","error":\{"type":"rate_limit_error","message":"Too many tokens"\}\}\n\n/,
         'the exception as a rate_limit_error event');
    ok($stack->eventually(5, sub {
           (hgetall("${P}account:$acct->{id}")->{cooldown_until_ms} // 0)
           > time * 1000 }), 'the account cools down')
        or diag(explain(hgetall("${P}account:$acct->{id}")));
    api('POST', "/api/v1/accounts/$acct->{id}/reset");
};

subtest 'throttled: failed over to a Claude account, and back' => sub {
    my $group = $stack->make_or_die('/api/v1/account-groups',
        { name => 'br-mixed', platform => 'claude' });
    my $br = bedrock(name => 'br-pool', priority => 10,
                     groupId => $group->{id});
    my $cl = $stack->make_account(name => 'claude-pool', priority => 20,
        apiKey => 'sk-ant-pool-0001', groupId => $group->{id});
    my $k = $stack->make_key(groupId => $group->{id});

    my $r = post($k, {});
    is(upstream()->{credential}, $AKID, 'Bedrock first (priority)');

    $stack->mock_clear;
    $stack->request('POST', "$mock/__mock/rules", {},
        { match => { path => '/model/' }, 'x-mock' => 'status=429',
          times => 1 });
    $r = $stack->gateway('POST', '/v1/messages',
        { 'x-api-key' => $k->{key}, 'x-mock' => $xmock },
        { model => 'claude-sonnet-4-5', max_tokens => 8, stream => $TRUE,
          messages => [ { role => 'user', content => 'throttled' } ] });
    is($r->{status}, 200, 'the client sees no error');
    like($r->{content}, qr/event: message_stop/, 'a whole stream');
    my @tried = map { [ $_->{credential}, $_->{status} ] }
                @{ $stack->mock_requests };
    is_deeply(\@tried, [ [ $AKID, 429 ], [ 'sk-ant-pool-0001', 200 ] ],
              'ThrottlingException, then the Claude account');
    # two workers' records may be stored in either order
    is_deeply([ sort { $a <=> $b } map { $_->{account_id} }
                $stack->usage_rows($k->{id}, 2) ],
              [ sort { $a <=> $b } $br->{id}, $cl->{id} ],
              'billed once to each: the failed attempt is not billed twice');
    ok(hgetall("${P}account:$br->{id}")->{cooldown_until_ms} > time * 1000,
       'the Bedrock account cools down');

    # Bedrock back, the Claude account overloaded: the other way round
    api('POST', "/api/v1/accounts/$br->{id}/reset");
    $stack->mock_clear;
    $stack->request('POST', "$mock/__mock/rules", {},
        { match => { header => 'x-api-key', value => 'sk-ant-pool-0001' },
          'x-mock' => 'status=529', times => 1 });
    api('PATCH', "/api/v1/accounts/$br->{id}", { priority => 30 });
    $r = send_message($k, {});
    is($r->{status}, 200, 'answered');
    is_deeply([ map { $_->{credential} } @{ $stack->mock_requests } ],
              [ 'sk-ant-pool-0001', $AKID ],
              'the Claude account overloaded, Bedrock took it');

    # a refused signature (a rotated secret) fails over too
    my $bad = bedrock(name => 'br-badsecret', priority => 1,
                      awsSecretAccessKey => 'not-the-secret',
                      groupId => $group->{id});
    $r = post($k, {});
    is($r->{status}, 200, 'a refused signature is failed over');
    is_deeply([ map { $_->{status} } @{ $stack->mock_requests } ],
              [ 403, 200 ], 'InvalidSignatureException, then another');
};

subtest "Anthropic's SDK through the gateway to Bedrock" => sub {
    local $ENV{ANTHROPIC_BASE_URL} = $stack->gateway_url;
    local $ENV{ANTHROPIC_API_KEY} = $key->{key};
    my $err = $stack->dir . '/anthropic-sdk.err';
    my $out = `node $FindBin::Bin/sdk/anthropic_client.js 2>$err`;
    is($?, 0, 'the SDK ran') or diag(`cat $err`);
    my $r = eval { decode_json($out) } || {};
    is($r->{plain}{text}, 'Hello from mock', 'messages.create');
    is($r->{stream}{text}, 'Hello from mock', 'messages.stream');
    is($r->{stream}{usage}{output_tokens}, 3, 'stream usage');
    is($r->{badKey}{status}, 401, 'a bad key is refused as before');
};

$stack->finish;
