#!/usr/bin/perl
# Every account type of issue 13 through the admin API: each type's
# credential and own fields (required ones, those of other types
# refused), model lists and maps, base URLs; the MySQL row, the Redis
# account record (proto/redis_layout.md) and the pool sets
# accounts:<pool> of ql/ql_account_type.c, moved by updates and deletes
# and rebuilt by the resync; account groups by pool.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use QL::Stack;

my $stack = QL::Stack->new(services => [qw(redis mariadb admind)]);
my $P = 'ql:{main}:';
# the one loopback port outbound_allow lets accounts use
my $URL = 'http://127.0.0.1:' . $stack->mock_port;

sub api { $stack->admin(@_) }

sub hgetall {
    my $list = $stack->redis('HGETALL', $_[0]);
    return ref $list eq 'ARRAY' ? { @$list } : {};
}

sub smembers {
    my $list = $stack->redis('SMEMBERS', $_[0]);
    return [ sort { $a <=> $b } @{ ref $list eq 'ARRAY' ? $list : [] } ];
}

sub error_ok {
    my ($res, $re, $name) = @_;
    my $e = ref $res->{json} eq 'HASH' ? $res->{json}{error} : undef;
    ok($res->{status} == 400 && ref $e eq 'HASH'
       && $e->{code} eq 'invalid_argument' && $e->{message} =~ $re, $name)
        or diag("got $res->{status} " . ($res->{content} // ''));
}

# ---- one account of every type ----

my %spec = (
    'claude-console' => { apiKey => 'sk-ant-console-0001' },
    'claude-official' => { accessToken => 'sk-ant-oat01-0002',
                           refreshToken => 'sk-ant-ort01-0002' },
    ccr => { apiKey => 'ccr-key-0003' },
    openai => { apiKey => 'sk-proj-0004',
                supportedModels => [ 'gpt-4.1', 'gpt-4o-mini' ] },
    codex => { accessToken => 'eyJ.codex.0005', refreshToken => 'rt-0005',
               chatgptAccountId => 'acc_0005-X' },
    'azure-openai' => { apiKey => 'azure-key-0006',
                        azureDeployment => 'gpt4o-prod',
                        modelMap => { 'gpt-4o' => 'gpt4o-prod',
                                      'gpt-4.1' => 'gpt41' } },
    gemini => { apiKey => 'AIza-0007' },
    'gemini-oauth' => { accessToken => 'ya29.0008',
                        projectId => 'my-project-42' },
    droid => { apiKey => 'fk-0009' },
    bedrock => { awsRegion => 'us-east-1', awsAccessKeyId => 'AKIDEXAMPLE',
                 awsSecretAccessKey => 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLE' },
);

my %want = (
    'claude-console' => [ 'claude', ',claude,', '', 'x-api-key' ],
    'claude-official' => [ 'claude', ',claude,', '', 'bearer' ],
    ccr => [ 'claude', ',ccr,', ',messages,count_tokens,', 'x-api-key' ],
    openai => [ 'openai', ',openai,', '', 'bearer' ],
    codex => [ 'openai', ',openai,', ',responses,', 'bearer' ],
    'azure-openai' => [ 'openai', ',openai,azure,', ',chat,responses,',
                        'api-key' ],
    gemini => [ 'gemini', ',gemini,', '', 'x-goog-api-key' ],
    'gemini-oauth' => [ 'gemini', ',gemini,',
                        ',generate,stream,', 'bearer' ],
    droid => [ 'droid', ',droid,', ',messages,responses,', 'bearer' ],
    bedrock => [ 'claude', ',claude,bedrock,', ',messages,', 'sigv4' ],
);

my %acct;

for my $type (sort keys %spec) {
    my $res = api('POST', '/api/v1/accounts', { name => "acct-$type",
        type => $type, baseUrl => "$URL/$type", %{ $spec{$type} } });
    is($res->{status}, 201, "$type account created")
        or diag($res->{content});
    $acct{$type} = $res->{json};
    is($acct{$type}{platform}, $want{$type}[0], "$type: platform");
    ok(!grep({ exists $acct{$type}{$_} } qw(apiKey accessToken
                                            awsSecretAccessKey))
       && $acct{$type}{hasCredential}, "$type: credential stored, not shown");
}

is($acct{codex}{chatgptAccountId}, 'acc_0005-X', 'codex: chatgptAccountId');
is($acct{'gemini-oauth'}{projectId}, 'my-project-42', 'projectId');
is($acct{'azure-openai'}{azureApiVersion}, '2024-10-21',
   'azure: the default api version');
is($acct{'azure-openai'}{azureDeployment}, 'gpt4o-prod', 'azureDeployment');
is_deeply($acct{'azure-openai'}{modelMap},
          { 'gpt-4o' => 'gpt4o-prod', 'gpt-4.1' => 'gpt41' }, 'modelMap');
is_deeply($acct{openai}{supportedModels}, [ 'gpt-4.1', 'gpt-4o-mini' ],
          'supportedModels');
is_deeply([ $acct{gemini}{modelMap}, $acct{gemini}{supportedModels},
            $acct{gemini}{azureApiVersion}, $acct{gemini}{projectId} ],
          [ {}, [], undef, undef ], 'none of them on a gemini account');
is(api('GET', "/api/v1/accounts/$acct{codex}{id}")->{json}
       {chatgptAccountId}, 'acc_0005-X', 'GET shows them');

# ---- the MySQL rows ----

my $row = $stack->sql_root("SELECT type, platform, chatgpt_account_id, "
    . "IFNULL(project_id, '-'), credentials_enc IS NOT NULL, "
    . "refresh_token_enc IS NOT NULL FROM accounts "
    . "WHERE id = $acct{codex}{id}");
is($row, "codex\topenai\tacc_0005-X\t-\t1\t1\n", 'codex row');
$row = $stack->sql_root("SELECT azure_deployment, azure_api_version, "
    . "JSON_EXTRACT(model_mapping, '\$.\"gpt-4o\"') FROM accounts "
    . "WHERE id = $acct{'azure-openai'}{id}");
is($row, "gpt4o-prod\t2024-10-21\t\"gpt4o-prod\"\n", 'azure row');
$row = $stack->sql_root("SELECT project_id, supported_models IS NULL "
    . "FROM accounts WHERE id = $acct{'gemini-oauth'}{id}");
is($row, "my-project-42\t1\n", 'gemini-oauth row');

# ---- the account records ----

for my $type (sort keys %spec) {
    my $rec = hgetall("${P}account:$acct{$type}{id}");
    is_deeply([ @$rec{qw(type platform pools endpoints auth)} ],
              [ $type, @{ $want{$type} } ], "$type: record's type fields");
}

my $rec = hgetall("${P}account:$acct{'azure-openai'}{id}");
is_deeply([ @$rec{qw(models model_map azure_deployment azure_api_version
                     chatgpt_account_id project_id)} ],
          [ '', "\ngpt-4.1\tgpt41\ngpt-4o\tgpt4o-prod\n", 'gpt4o-prod',
            '2024-10-21', '', '' ], 'azure record');
$rec = hgetall("${P}account:$acct{openai}{id}");
is_deeply([ @$rec{qw(models model_map azure_api_version)} ],
          [ "\ngpt-4.1\ngpt-4o-mini\n", '', '' ], 'openai record');
$rec = hgetall("${P}account:$acct{codex}{id}");
is($rec->{chatgpt_account_id}, 'acc_0005-X', 'codex record');
$rec = hgetall("${P}account:$acct{'gemini-oauth'}{id}");
is($rec->{project_id}, 'my-project-42', 'gemini-oauth record');

# ---- the pool sets ----

my %pools = (
    claude => [ @acct{qw(claude-console claude-official bedrock)} ],
    ccr => [ $acct{ccr} ],
    bedrock => [ $acct{bedrock} ],
    openai => [ @acct{qw(openai codex azure-openai)} ],
    azure => [ $acct{'azure-openai'} ],
    gemini => [ @acct{qw(gemini gemini-oauth)} ],
    droid => [ $acct{droid} ],
);

sub pools_ok {
    my ($name) = @_;
    my %got = map { ($_ => smembers("${P}accounts:$_")) } keys %pools;
    my %exp = map { ($_ => [ sort { $a <=> $b } map { $_->{id} }
                             @{ $pools{$_} } ]) } keys %pools;
    is_deeply(\%got, \%exp, $name);
}

pools_ok('every account in each pool of its type, azure in openai and '
         . 'azure');

# ---- refused ----

error_ok(api('POST', '/api/v1/accounts', { name => 'x1', type => 'codex',
         baseUrl => $URL, accessToken => 't' }),
         qr/"chatgptAccountId" is required for type codex/,
         'codex without chatgptAccountId');
error_ok(api('POST', '/api/v1/accounts', { name => 'x2',
         type => 'gemini-oauth', baseUrl => $URL, accessToken => 't' }),
         qr/"projectId" is required for type gemini-oauth/,
         'gemini-oauth without projectId');
error_ok(api('POST', '/api/v1/accounts', { name => 'x3',
         type => 'azure-openai', apiKey => 'k' }),
         qr/"baseUrl" is required for type azure-openai/,
         'azure without baseUrl');
error_ok(api('POST', '/api/v1/accounts', { name => 'x4', type => 'ccr',
         apiKey => 'k' }), qr/"baseUrl" is required for type ccr/,
         'ccr without baseUrl');
error_ok(api('POST', '/api/v1/accounts', { name => 'x5', type => 'openai',
         baseUrl => $URL, apiKey => 'k', projectId => 'p' }),
         qr/field "projectId" does not apply to type openai/,
         'a field of another type');
error_ok(api('POST', '/api/v1/accounts', { name => 'x6', type => 'gemini',
         baseUrl => $URL, apiKey => 'k', azureApiVersion => undef }),
         qr/field "azureApiVersion" does not apply to type gemini/,
         'even as null');
error_ok(api('POST', '/api/v1/accounts', { name => 'x7', type => 'codex',
         baseUrl => $URL, apiKey => 'k', chatgptAccountId => 'a' }),
         qr/field "apiKey" does not apply to type codex/,
         'the credential of another type');
error_ok(api('POST', '/api/v1/accounts', { name => 'x8', type => 'gemini',
         baseUrl => $URL, apiKey => 'k', refreshToken => 'r' }),
         qr/field "refreshToken" does not apply to type gemini/,
         'refreshToken of a type without OAuth');
error_ok(api('POST', '/api/v1/accounts', { name => 'x9', type => 'openai',
         baseUrl => $URL, apiKey => 'k', platform => 'gemini' }),
         qr/"platform" cannot be set: type openai is of platform openai/,
         'another platform than the type\'s');
my $x9b = api('POST', '/api/v1/accounts', { name => 'x9b', type => 'openai',
              baseUrl => $URL, apiKey => 'k', platform => 'openai' });
is($x9b->{status}, 201, 'the type\'s own platform may be repeated');
push @{ $pools{openai} }, $x9b->{json};
error_ok(api('POST', '/api/v1/accounts', { name => 'x10', type => 'codex',
         baseUrl => $URL, accessToken => 't',
         chatgptAccountId => 'a b' }),
         qr/"chatgptAccountId" may only contain/, 'chatgptAccountId chars');
error_ok(api('POST', '/api/v1/accounts', { name => 'x11',
         type => 'gemini-oauth', baseUrl => $URL, accessToken => 't',
         projectId => 'My_Project' }),
         qr/"projectId" may only contain/, 'projectId chars');
error_ok(api('POST', '/api/v1/accounts', { name => 'x12',
         type => 'azure-openai', baseUrl => $URL, apiKey => 'k',
         azureApiVersion => '2024/10' }),
         qr/"azureApiVersion" may only contain/, 'azureApiVersion chars');
error_ok(api('POST', '/api/v1/accounts', { name => 'x13',
         type => 'codex', baseUrl => $URL, accessToken => 't',
         chatgptAccountId => 'a' x 129 }),
         qr/"chatgptAccountId" must have 1 to 128/, 'chatgptAccountId long');
error_ok(api('POST', '/api/v1/accounts', { name => 'x14', type => 'openai',
         baseUrl => $URL, apiKey => 'k', modelMap => [ 'a' ] }),
         qr/"modelMap" must be an object/, 'modelMap not an object');
error_ok(api('POST', '/api/v1/accounts', { name => 'x15', type => 'openai',
         baseUrl => $URL, apiKey => 'k', modelMap => { a => 1 } }),
         qr/"modelMap" value of "a"/, 'modelMap value not a string');
error_ok(api('POST', '/api/v1/accounts', { name => 'x16', type => 'openai',
         baseUrl => $URL, apiKey => 'k', modelMap => { "a\tb" => 'c' } }),
         qr/"modelMap" name .* control characters/, 'modelMap name with tab');
error_ok(api('POST', '/api/v1/accounts', { name => 'x17', type => 'openai',
         baseUrl => $URL, apiKey => 'k', modelMap => { a => '' } }),
         qr/"modelMap" value of "a" must have 1 to 256/, 'empty model');
error_ok(api('POST', '/api/v1/accounts', { name => 'x18', type => 'openai',
         baseUrl => $URL, apiKey => 'k',
         modelMap => { map { ("m$_" => 'x') } 1 .. 257 } }),
         qr/"modelMap" must have at most 256 entries/, 'modelMap too big');
error_ok(api('POST', '/api/v1/accounts', { name => 'x19', type => 'openai',
         baseUrl => $URL, apiKey => 'k',
         supportedModels => [ "gpt\n4" ] }),
         qr/"supportedModels" item 0 must not contain control/,
         'supportedModels with a newline');
error_ok(api('POST', '/api/v1/accounts', { name => 'x20', type => 'openai',
         baseUrl => $URL, apiKey => 'k',
         supportedModels => [ "\xc3\xa9" x 200 ] }),
         qr/"supportedModels": model names must have at most 256 bytes/,
         'supportedModels over 256 bytes');
error_ok(api('POST', '/api/v1/accounts', { name => 'x21', type => 'vertex',
         apiKey => 'k' }), qr/"type" must be one of: .*gemini-oauth.*bedrock/,
         'an unknown type names the known ones');
is($stack->sql_root("SELECT COUNT(*) FROM accounts WHERE name LIKE 'x%' "
                    . "AND name <> 'x9b'"), "0\n", 'no refused row stored');
error_ok(api('PATCH', "/api/v1/accounts/$acct{openai}{id}",
             { chatgptAccountId => 'a' }),
         qr/"chatgptAccountId" does not apply to type openai/,
         'update: a field of another type');
error_ok(api('PATCH', "/api/v1/accounts/$acct{'azure-openai'}{id}",
             { baseUrl => undef }),
         qr/"baseUrl" is required for type azure-openai/,
         'update: azure cannot go back to a default base URL');

# ---- updates ----

my $version = api('GET', "/api/v1/accounts/$acct{'azure-openai'}{id}")
    ->{json}{version};
my $res = api('PATCH', "/api/v1/accounts/$acct{'azure-openai'}{id}",
              { azureApiVersion => '2025-01-01-preview', modelMap => undef,
                supportedModels => [ 'gpt-4o' ], azureDeployment => undef });
is($res->{status}, 200, 'azure updated') or diag($res->{content});
is_deeply([ @{ $res->{json} }{qw(azureApiVersion azureDeployment
                                 modelMap supportedModels)} ],
          [ '2025-01-01-preview', undef, {}, [ 'gpt-4o' ] ],
          'azure fields changed');
$rec = hgetall("${P}account:$acct{'azure-openai'}{id}");
is_deeply([ @$rec{qw(azure_api_version azure_deployment models
                     model_map)} ],
          [ '2025-01-01-preview', '', "\ngpt-4o\n", '' ],
          'azure record follows');
$res = api('PATCH', "/api/v1/accounts/$acct{'azure-openai'}{id}",
           { azureApiVersion => undef, supportedModels => [] });
is_deeply([ @{ $res->{json} }{qw(azureApiVersion supportedModels)} ],
          [ '2024-10-21', [] ], 'null: the default version; []: all models');
is($res->{json}{version}, $version + 2, 'versioned updates');
$res = api('PATCH', "/api/v1/accounts/$acct{codex}{id}",
           { chatgptAccountId => 'acc-new', version => 1 });
is($res->{status}, 409, 'a stale version is refused')
    or diag($res->{content});
is(hgetall("${P}account:$acct{codex}{id}")->{chatgpt_account_id},
   'acc_0005-X', 'and changes nothing');
$res = api('PATCH', "/api/v1/accounts/$acct{codex}{id}",
           { chatgptAccountId => 'acc-new' });
is(hgetall("${P}account:$acct{codex}{id}")->{chatgpt_account_id},
   'acc-new', 'codex account id updated in the record');
error_ok(api('PATCH', "/api/v1/accounts/$acct{codex}{id}",
             { chatgptAccountId => undef }),
         qr/"chatgptAccountId" must not be null/,
         'a required field cannot be removed');

# status does not move an account out of its pools: the record says it
api('PATCH', "/api/v1/accounts/$acct{gemini}{id}", { status => 'disabled' });
is(hgetall("${P}account:$acct{gemini}{id}")->{status}, 'disabled',
   'status in the record');

# a stray membership (an older admind's) is corrected by the next write
$stack->redis('SADD', "${P}accounts:droid", $acct{gemini}{id});
api('PATCH', "/api/v1/accounts/$acct{gemini}{id}", { status => 'active' });
pools_ok('an update puts the account in exactly its pools');

# ---- account groups are of a pool ----

my $g = api('POST', '/api/v1/account-groups', { name => 'azure-pool',
            platform => 'azure' });
is($g->{status}, 201, 'group of pool azure') or diag($g->{content});
error_ok(api('POST', '/api/v1/account-groups', { name => 'nope',
             platform => 'codex' }),
         qr/"platform" must be one of: claude, ccr, bedrock, openai, azure, /,
         'a group of no pool');
error_ok(api('PATCH', "/api/v1/accounts/$acct{openai}{id}",
             { groupId => $g->{json}{id} }),
         qr/account group \d+ is for pool azure, type openai joins ,openai,/,
         'an openai account cannot join an azure group');
is(api('PATCH', "/api/v1/accounts/$acct{'azure-openai'}{id}",
       { groupId => $g->{json}{id} })->{status}, 200,
   'an azure-openai account can');
is_deeply(smembers("${P}group:$g->{json}{id}:accounts"),
          [ $acct{'azure-openai'}{id} ], 'group set');
my $og = api('POST', '/api/v1/account-groups', { name => 'openai-pool',
             platform => 'openai' })->{json};
is(api('POST', '/api/v1/accounts', { name => 'azure-2',
       type => 'azure-openai', baseUrl => $URL, apiKey => 'k',
       groupId => $og->{id} })->{status}, 201,
   'and so can it join an openai group (its other pool)');
my $azure2 = api('GET', '/api/v1/accounts?type=azure-openai&orderBy=id+desc')
    ->{json}{accounts}[0];
is($azure2->{name}, 'azure-2', 'found');
push @{ $pools{openai} }, $azure2;
push @{ $pools{azure} }, $azure2;
pools_ok('pools with the new accounts');

# ---- deletes ----

is(api('DELETE', "/api/v1/accounts/$azure2->{id}")->{status}, 204,
   'delete an azure account');
@{ $pools{$_} } = grep { $_->{id} ne $azure2->{id} } @{ $pools{$_} }
    for keys %pools;
pools_ok('it left openai and azure');
is($stack->redis('EXISTS', "${P}account:$azure2->{id}"), 0,
   'record deleted');

# ---- resync rebuilds every pool ----

my %before = map { ($_ => hgetall("${P}account:$acct{$_}{id}")) }
             keys %acct;
$stack->redis('SADD', "${P}accounts:bedrock", '999');
$stack->redis('FLUSHALL');
ok($stack->eventually(10, sub { $stack->redis('EXISTS', "${P}synced") }),
   'FLUSHALL repaired by the background resync');
pools_ok('every pool rebuilt');
is_deeply({ map { ($_ => hgetall("${P}account:$acct{$_}{id}")) }
            keys %acct }, \%before, 'every record rebuilt the same');
$stack->redis('SADD', "${P}accounts:bedrock", '999');
$stack->redis('SREM', "${P}accounts:azure", $acct{'azure-openai'}{id});
$stack->redis('DEL', "${P}synced");
ok($stack->eventually(10, sub { $stack->redis('EXISTS', "${P}synced") }),
   'resync ran again');
pools_ok('stray and missing members repaired');

done_testing();
