#!/usr/bin/perl
# The official clients of every platform (pinned in t/sdk), pointed at the
# gateway as ../shared/docs/CLIENTS.md says, against accounts of each
# type: the openai SDK (OpenAI, AzureOpenAI, a Codex account), Codex CLI,
# @google/genai and Gemini CLI (a gemini and a gemini-oauth account).
# What each client printed, and the usage MySQL recorded for its key.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use File::Path qw(make_path);
use QL::Stack;

my $stack = QL::Stack->new;
my $mock = $stack->mock_url;
my $gw = $stack->gateway_url;
my $sdk = "$FindBin::Bin/sdk";
my $dir = $stack->dir;

# the mock's default answer: "Hello from mock", 12 tokens in, 3 out
my $TEXT = 'Hello from mock';

# Runs a command with extra environment; returns exit status and output.
sub run_client {
    my ($name, $env, @cmd) = @_;
    my $err = "$dir/log/$name.stderr";
    local %ENV = (%ENV, %$env);
    my $pid = open my $fh, '-|';
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDERR, '>', $err or die $!;
        open STDIN, '<', '/dev/null' or die $!;
        exec 'timeout', '180', @cmd or die "exec $cmd[0]: $!";
    }
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    my $status = $? >> 8;
    diag("$name exited $status: " . `tail -c 2000 $err`) if $status;
    return ($status, $out);
}

sub node_client {
    my ($script, $env) = @_;
    my ($status, $out) = run_client($script, $env, 'node', "$sdk/$script");
    is($status, 0, "$script ran");
    return eval { decode_json($out) } || {};
}

sub rows_ok {
    my ($key, $n, $platform, $what) = @_;
    my @rows = $stack->usage_rows($key->{id}, $n);
    is(scalar @rows, $n, "$what: one usage record per request");
    is_deeply([ map { "$_->{platform} $_->{input_tokens} $_->{output_tokens}" }
                @rows ], [ ("$platform 12 3") x $n ],
              "$what: exact tokens in MySQL");
    return @rows;
}

subtest 'openai SDK: chat completions and Responses' => sub {
    my $acct = $stack->make_account(type => 'openai',
        baseUrl => "$mock/openai", apiKey => 'sk-openai-sdk');
    my $key = $stack->make_key(accountId => $acct->{id});

    my $r = node_client('openai_client.js', {
        OPENAI_BASE_URL => "$gw/openai/v1", OPENAI_API_KEY => $key->{key} });
    is($r->{chat}{text}, $TEXT, 'chat.completions.create');
    is($r->{chat}{usage}{prompt_tokens}, 12, 'its usage');
    is($r->{chatStream}{text}, $TEXT, 'streamed chat');
    is($r->{chatStream}{usage}, undef,
       'no usage chunk the client did not ask for');
    is($r->{responses}{text}, $TEXT, 'responses.create');
    is($r->{responsesStream}{text}, $TEXT, 'streamed Responses');
    is($r->{responsesStream}{usage}{output_tokens}, 3, 'response.completed');
    is($r->{badKey}{status}, 401, 'a bad key: 401');
    is($r->{badKey}{code}, 'invalid_api_key', 'the SDK reads our error');

    rows_ok($key, 4, 'openai', 'openai SDK');
};

subtest 'AzureOpenAI client: deployments, api-key' => sub {
    my $acct = $stack->make_account(type => 'azure-openai', baseUrl => $mock,
        apiKey => 'az-sdk', modelMap => { 'gpt-4o' => 'gpt-4o-prod' });
    my $key = $stack->make_key(accountId => $acct->{id});

    $stack->mock_clear;
    my $r = node_client('openai_client.js', {
        AZURE_ENDPOINT => "$gw/azure", AZURE_DEPLOYMENT => 'gpt-4o',
        OPENAI_API_KEY => $key->{key}, ONLY => 'chat' });
    is($r->{chat}{text}, $TEXT, 'chat completion through a deployment');
    is($r->{chatStream}{text}, $TEXT, 'streamed');
    is($r->{badKey}{status}, 401, 'a bad key: 401');

    my @paths = map { "$_->{path}?$_->{query}" } @{ $stack->mock_requests };
    is($paths[0], '/openai/deployments/gpt-4o-prod/chat/completions'
                  . '?api-version=2024-10-21',
       "the account's deployment and api-version");

    rows_ok($key, 2, 'openai', 'AzureOpenAI');
};

subtest 'openai SDK against a Codex account' => sub {
    my $acct = $stack->make_account(type => 'codex',
        baseUrl => "$mock/backend-api/codex", accessToken => 'tok-sdk',
        chatgptAccountId => 'acct-sdk');
    my $key = $stack->make_key(accountId => $acct->{id});

    my $r = node_client('openai_client.js', {
        OPENAI_BASE_URL => "$gw/openai/v1", OPENAI_API_KEY => $key->{key},
        ONLY => 'responses', MODEL => 'gpt-5-codex' });
    is($r->{responsesStream}{text}, $TEXT, 'streamed Responses');
    rows_ok($key, 2, 'openai', 'Codex account');
};

subtest 'Codex CLI: one prompt, end to end' => sub {
    my $acct = $stack->make_account(type => 'codex',
        baseUrl => "$mock/backend-api/codex", accessToken => 'tok-cli',
        chatgptAccountId => 'acct-cli');
    my $key = $stack->make_key(accountId => $acct->{id});
    my $home = "$dir/codex-home";
    make_path($home);
    QL::Stack::write_file("$home/config.toml", <<"EOF", 0600);
model = "gpt-5-codex"
model_provider = "ql"

[model_providers.ql]
name = "QuotaLane"
base_url = "$gw/openai"
env_key = "QL_KEY"
wire_api = "responses"
EOF

    $stack->mock_clear;
    my ($status, $out) = run_client('codex', {
        CODEX_HOME => $home, HOME => $home, QL_KEY => $key->{key} },
        "$sdk/node_modules/.bin/codex", 'exec', '--skip-git-repo-check',
        '--dangerously-bypass-approvals-and-sandbox', '--ephemeral',
        'Say hello');
    is($status, 0, 'codex exec succeeded');
    like($out, qr/\Q$TEXT\E/, 'it printed the answer');

    my $up = $stack->mock_requests->[0] // {};
    is($up->{path}, '/backend-api/codex/responses', 'to the Codex backend');
    my %h = map { (lc $_->[0] => $_->[1]) } @{ $up->{headers} || [] };
    is($h{'chatgpt-account-id'}, 'acct-cli', 'with the account id');
    is($h{authorization}, 'Bearer tok-cli', "the account's token");
    rows_ok($key, 1, 'openai', 'Codex CLI');
};

subtest '@google/genai SDK' => sub {
    my $acct = $stack->make_account(type => 'gemini', baseUrl => $mock,
                                    apiKey => 'g-sdk');
    my $key = $stack->make_key(accountId => $acct->{id});

    my $r = node_client('genai_client.js', {
        GOOGLE_GEMINI_BASE_URL => "$gw/gemini",
        GEMINI_API_KEY => $key->{key} });
    is($r->{plain}{text}, $TEXT, 'generateContent (v1)');
    is($r->{plain}{usage}{promptTokenCount}, 12, 'its usageMetadata');
    is($r->{stream}{text}, $TEXT, 'generateContentStream');
    is($r->{badKey}{status}, 401, 'a bad key: 401');

    rows_ok($key, 2, 'gemini', 'genai SDK');
};

subtest 'Gemini CLI on a gemini and a gemini-oauth account' => sub {
    for my $type ('gemini', 'gemini-oauth') {
        my $acct = $stack->make_account(type => $type, baseUrl => $mock,
            $type eq 'gemini' ? (apiKey => "g-cli")
                              : (accessToken => 'ya29.cli',
                                 projectId => 'proj-cli'));
        my $key = $stack->make_key(accountId => $acct->{id});
        my $home = "$dir/gemini-home-$type";
        make_path("$home/.gemini");
        QL::Stack::write_file("$home/.gemini/settings.json",
            encode_json({ security => { auth => {
                              selectedType => 'gemini-api-key' } },
                          privacy => { usageStatisticsEnabled => JSON::PP::false } }),
            0600);

        $stack->mock_clear;
        my ($status, $out) = run_client("gemini-$type", {
            HOME => $home, GEMINI_API_KEY => $key->{key},
            GOOGLE_GEMINI_BASE_URL => "$gw/gemini",
            GEMINI_CLI_TRUST_WORKSPACE => 'true' },
            "$sdk/node_modules/.bin/gemini", '-m', 'gemini-2.5-pro', '-p',
            'Say hello');
        is($status, 0, "$type: gemini -p succeeded");
        like($out, qr/\Q$TEXT\E/, "$type: it printed the answer");

        my $up = $stack->mock_requests->[-1] // {};
        like($up->{path}, $type eq 'gemini'
                          ? qr{^/v1beta/models/gemini-2\.5-pro:}
                          : qr{^/v1internal:streamGenerateContent$},
             "$type: the vendor's path");
        my @rows = $stack->usage_rows($key->{id}, 1);
        ok(@rows >= 1 && $rows[-1]{input_tokens} == 12,
           "$type: usage recorded");
    }
};

$stack->finish;
