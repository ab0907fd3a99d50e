#!/usr/bin/perl
# The web console's key self-service page (issue 18): admind serves the
# console's files (content types, a strict CSP, no way out of the
# directory), GET /api/v1/key-self answers a key about itself only and
# limits guesses per address, and Debian's chromium, headless, drives the
# page through real traffic: a wrong key, the key's numbers as MySQL has
# them, Chinese, a phone's width, the keyboard, no console errors.
# Screenshots go to build/console-shots/.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Path qw(make_path);
use Test::More;
use JSON::PP;
use QL::Stack;

my $stack = QL::Stack->new(admind_conf => join("\n",
    'login_max_failures = 3', 'login_max_failures_per_addr = 4',
    # the OAuth onboarding the console walks through, against the mock
    'oauth_claude_token_url = @MOCK_URL@/v1/oauth/token',
    'oauth_claude_authorize_url = https://claude.example/oauth/authorize',
    'oauth_claude_client_id = test-client'));
my $admin = $stack->admin_url;

sub get {
    my ($path, $headers) = @_;
    return $stack->request('GET', "$admin$path", $headers || {});
}

# ---- the console's files ----

my $r = get('/');
my $hop = ($r->{redirects} || [])->[0] || {};
is($hop->{status}, 302, '/ redirects');
is($hop->{headers}{location}, '/console/index.html', 'to the console');

$r = get('/console/key.html');
is($r->{status}, 200, 'the key page');
like($r->{headers}{'content-type'}, qr{^text/html; charset=utf-8}, 'HTML');
my $csp = $r->{headers}{'content-security-policy'} // '';
like($csp, qr/^default-src 'none'; script-src 'self'; style-src 'self';/,
     'a strict CSP: no inline script or style');
like($csp, qr/frame-ancestors 'none'$/, 'and no framing');
is($r->{headers}{'x-frame-options'}, 'DENY', 'X-Frame-Options');
is($r->{headers}{'x-content-type-options'}, 'nosniff', 'nosniff');
unlike($r->{content}, qr/<script>|\sstyle=|\son\w+=/,
       'no inline script, style or handler in the page');
like(get('/console/key.js')->{headers}{'content-type'},
     qr{^text/javascript}, 'scripts as JavaScript');
like(get('/console/console.css')->{headers}{'content-type'},
     qr{^text/css}, 'styles as CSS');

for my $path ('/console/..%2Fadmind.conf', '/console/%2e%2e',
              '/console/.hidden.css', '/console/key.html.bak',
              '/console/nope.exe', '/console/missing.js',
              '/console/a..js', '/console/' . ('a' x 70) . '.js') {
    is(get($path)->{status}, 404, "$path: 404");
}

# ---- the key, some traffic, another key ----

my $acct = $stack->make_account;
my $key = $stack->make_key(name => 'my laptop',
                           dailyCostLimitMicros => '5000000');
my $other = $stack->make_key(name => 'someone else');
my $xmock = 'input_tokens=100;output_tokens=20';
for my $k ($key, $key, $other) {
    is($stack->message($k, headers => { 'x-mock' => $xmock })->{status},
       200, 'a request through the gateway');
}
my @rows = $stack->usage_rows($key->{id}, 2, qw(cost_micros));
$stack->usage_rows($other->{id}, 1);
my $spent = 0;
$spent += $_->{cost_micros} for @rows;

# ---- GET /api/v1/key-self ----

$r = get('/api/v1/key-self', { 'x-api-key' => $key->{key} });
is($r->{status}, 200, 'the key asks about itself') or diag($r->{content});
my $k = $r->{json};
is($k->{name}, 'my laptop', 'its name');
is($k->{status}, 'active', 'status');
is_deeply([ @{ $k->{today} }{qw(requests tokens costMicros)} ],
          [ 2, 2 * (12 + 20 + 100 - 12), "$spent" ],
          'today: requests, tokens and cost as MySQL has them')
    or diag(explain($k->{today}));
is($k->{total}{costMicros}, "$spent", 'in all');
is($k->{limits}{dailyCostMicros}, '5000000', 'the daily limit');
is($k->{remaining}{dailyCostMicros}, 5000000 - $spent, 'what is left of it');
is($k->{remaining}{totalCostMicros}, undef, 'no total limit: nothing left');
is(scalar @{ $k->{recent} }, 2, 'its two requests, not the other key\'s');
is($k->{recent}[0]{model}, 'claude-sonnet-4-5', 'with the model');
unlike($r->{content}, qr/someone else|\Q$other->{key}\E|userId|key_hash/,
       'nothing about other keys, its owner or its hash');

is(get('/api/v1/key-self', { authorization => "Bearer $key->{key}" })
       ->{status}, 200, 'also as a bearer token');
is(get('/api/v1/key-self')->{status}, 401, 'no key: 401');
is(get('/api/v1/key-self', { 'x-api-key' => 'cr_short' })->{json}{error}
       {code}, 'unauthenticated', 'a malformed key: 401');

# ---- the page, in a real browser ----

my $shots = "$QL::Stack::REPO/build/console-shots";
make_path($shots);
unlink glob("$shots/*.png"), glob("$shots/*.csv");
{
    local $ENV{CONSOLE_URL} = $admin;
    local $ENV{API_KEY} = $key->{key};
    local $ENV{SHOTS} = $shots;
    my $err = $stack->dir . '/browser.err';
    my $out = `node $FindBin::Bin/sdk/console_browser.js 2>$err`;
    is($?, 0, 'chromium drove the page') or diag(`cat $err`);
    my $b = eval { decode_json($out) } || {};

    is($b->{landed}{status}, 200, 'the key page');
    is($b->{title}, 'API key usage', 'English');
    is_deeply($b->{tabOrder}, [ 'lang', 'key', 'button' ],
              'the keyboard reaches the language, the key, the button');
    like($b->{badKey}, qr/starts with cr_/, 'a malformed key is explained');
    is($b->{name}, 'my laptop', 'the key\'s name shown');
    is($b->{status}, 'active', 'its status');
    my ($today) = grep { $_->[0] =~ /Today/ } @{ $b->{spending} || [] };
    is_deeply([ @{ $today || [] }[1, 3, 4, 5] ],
              [ 2, sprintf('$%.4f', $spent / 1e6), '$5.0000',
                sprintf('$%.4f', (5000000 - $spent) / 1e6) ],
              'today: requests, cost, limit and what is left, as MySQL')
        or diag(explain($b->{spending}));
    is(scalar @{ $b->{recent} || [] }, 2, 'the two recent requests');
    is($b->{titleZh}, 'API 密钥用量', 'switched to Simplified Chinese');
    is_deeply($b->{spendingZh}, [ '今天 (UTC)', '本周', '累计' ],
              'the numbers\' labels too');
    ok(!$b->{phoneOverflow}, 'no sideways scroll at a phone\'s width');
    is_deeply($b->{errors}, [], 'no console errors');
    ok(-s $_, "screenshot $_") for @{ $b->{shots} || [] };
    is(scalar @{ $b->{shots} || [] }, 5, 'five screenshots');
}

# ---- the admin console, in a real browser ----

{
    my $pw = 'user-password-1';
    my $bob = $stack->make_user(username => 'bob', password => $pw);
    my $bobs = $stack->make_key(userId => $bob->{id}, name => 'bob key');
    my $plan = $stack->make_or_die('/api/v1/plans', { name => 'pro',
        period => 'monthly', quotaCostMicros => '20000000',
        priceMicros => '9900000' });
    $stack->make_or_die('/api/v1/subscriptions', { userId => $bob->{id},
                                                   planId => $plan->{id} });
    local $ENV{CONSOLE_URL} = $admin;
    local $ENV{GATEWAY_URL} = $stack->gateway_url;
    local $ENV{MOCK_URL} = $stack->mock_url;
    local $ENV{ADMIN_USER} = $stack->{admin_user};
    local $ENV{ADMIN_PASSWORD} = $stack->{admin_password};
    local $ENV{USER_NAME} = 'bob';
    local $ENV{USER_PASSWORD} = $pw;
    local $ENV{SHOTS} = $shots;
    my $err = $stack->dir . '/admin-browser.err';
    my $out = `node $FindBin::Bin/sdk/console_admin.js 2>$err`;
    is($?, 0, 'chromium drove the admin console') or diag(`cat $err`);
    my $b = eval { decode_json($out) } || {};

    like($b->{landed}, qr{/console/index\.html}, '/ lands on the console');
    like($b->{badLogin}, qr/Wrong user name or password/,
         'a wrong password is refused');
    like($b->{who}, qr/\(admin\)$/, 'signed in as an admin');
    is($b->{totals}{Requests}, 3, 'the dashboard: every request so far');
    is($b->{states}{active}, 1, 'accounts by state: the one account');
    is($b->{states}{'Usage records waiting'}, 0, 'and the stream backlog');
    is_deeply($b->{navAdmin}, [ '#dashboard', '#accounts', '#keys',
                                '#usage', '#billing', '#users', '#audit',
                                '' ],
              'an admin sees every page');
    is_deeply($b->{accounts}[0], [ $acct->{name}, 'claude-console',
              'active', 100, 'closed', '—', 0 ],
              'the account with its live state')
        or diag(explain($b->{accounts}));
    like($b->{testResult}, qr/answered \(200,/, 'its test button');
    is_deeply($b->{groups}, [ [ 'browser-group', 'openai', '0' ] ],
              'an account group made');
    is_deeply($b->{groupsAfter}, [ [ 'browser-group', 'openai', '1' ] ],
              'and an account made into it');
    is_deeply($b->{accountButtons}{'max-browser'},
              [ 'Test', 'Reset', 'Edit', 'Refresh', 'Disable' ],
              'a subscription account can be refreshed');
    is_deeply($b->{accountButtons}{'browser-made'},
              [ 'Test', 'Reset', 'Edit', 'Disable' ], 'an API-key one not');
    is($b->{accountEditResult}, '', 'an account edited');
    like($b->{editedTest}, qr/^browser-made: answered \(200,/,
         'then tested');
    is($stack->sql_root("SELECT priority FROM accounts WHERE "
                        . "name = 'browser-made'"), "5\n",
       'its new priority stored');
    ok(grep({ $_->{credential} eq 'sk-browser-2' }
            @{ $stack->mock_requests }), 'its new credential used');
    is($b->{accountMade}, 'Created: browser-made (openai)',
       'an account made with the form');
    is($b->{oauthMade}, 'Created: max-browser (claude-official)',
       'and a Claude subscription through the OAuth flow');
    is_deeply([ sort @{ $b->{accountNames} || [] } ],
              [ sort $acct->{name}, 'browser-made', 'max-browser' ],
              'both listed');
    is_deeply([ sort map { "$_->[0] $_->[2] $_->[3]" }
                @{ $b->{plans} || [] } ],
              [ 'pro $20.0000 $9.9000', 'team $50.0000 $19.9000' ],
              'billing: the plans, one made in the console');
    is_deeply([ sort map { join ' ', @$_[0, 1, 2] }
                @{ $b->{subscriptions} || [] } ],
              [ sort "#$bob->{id} pro active", 'admin team active' ],
              'the subscriptions, one made in the console');
    ok(grep({ $_->[2] eq sprintf('$%.4f', $spent / 1e6) }
            @{ $b->{bills} || [] }), "this month's bills, as MySQL has them")
        or diag(explain($b->{bills}));
    is_deeply([ map { [ @$_[0, 1] ] } @{ $b->{userSubscriptions} || [] } ],
              [ [ 'bob', 'pro' ] ], 'a user sees their own subscription');
    is($stack->sql_root("SELECT type, base_url FROM accounts WHERE "
                        . "name = 'browser-made'"),
       "openai\t" . $stack->mock_url . "/openai\n", 'as MySQL has it');
    my ($edited) = grep { $_->{name} eq 'made in the browser' }
        @{ $stack->admin('GET', '/api/v1/api-keys?pageSize=500')->{json}
           {apiKeys} || [] };
    is_deeply([ @{ $edited || {} }{qw(dailyCostLimitMicros permissions
                                      blockedModels allowedClients
                                      expiresAt accountId)} ],
              [ '5000000', [ 'claude' ], [ 'claude-opus-4-1' ], [ '^node' ],
                '2031-01-01T00:00:00Z', $acct->{id} ],
              'a key edited: limit, platforms, models, clients, expiry, '
              . 'binding') or diag(explain($edited, $b->{keyEditNotice},
                                  $b->{keyEditInvalid}));
    is_deeply([ @{ $b->{carol} || [] }[0 .. 3] ],
              [ 'carol', 'user', 'active', 'local' ], 'a user made');
    is($b->{carolAfter}[2], 'disabled', 'and disabled');
    like($b->{rotated}, qr/^cr_[0-9A-Za-z_-]{64}$/, 'a key rotated');
    is($stack->gateway('POST', '/v1/messages',
                       { 'x-api-key' => $other->{key} },
                       { model => 'claude-sonnet-4-5', max_tokens => 8,
                         messages => [] })->{status}, 401,
       'the rotated key\'s old value no longer works');
    like($b->{newKey}, qr/^cr_[0-9A-Za-z_-]{64}$/, 'a created key, shown');
    like($b->{copied}, qr/^(Copied\.|Select the key and copy it\.)$/,
         'the copy button copies it (or selects it where the browser '
         . 'keeps no clipboard)');
    ok(!length($b->{clipboard} // '') || $b->{clipboard} eq $b->{newKey},
       'and the clipboard, where headless chromium keeps one, has it');
    is_deeply($b->{gateway}, [ 200, 200 ], 'the new key works');
    is($b->{totalsAfter}{Requests}, 5, 'and its requests are on the board');
    my ($row) = grep { $_->[0] eq 'made in the browser' }
                @{ $b->{topKeys} || [] };
    is($row && $row->[1], 2, 'the new key among the top keys, by name')
        or diag(explain($b->{topKeys}));
    is_deeply($b->{topAccounts}, [ [ $acct->{name}, 5,
              sprintf('$%.4f', 5 * 600 / 1e6) ] ],
              'the top accounts, by name');
    is_deeply($b->{navZh}, [ '概览', '上游账户', 'API 密钥', '用量记录',
                             '套餐与账单', '用户', '审计日志', '密钥用量页' ],
              'in Simplified Chinese');
    is($b->{usageCount}, '5 records', 'usage: every record');
    is($b->{usageRows}, 5, 'listed');
    is($b->{usageFiltered}, '0 records', 'a model filter');
    my $csv = "$shots/quotalane-usage.csv";
    ok(-s $csv, 'the CSV export downloaded');
    my @lines = -s $csv ? do { open my $fh, '<', $csv; <$fh> } : ();
    like($lines[0] // '', qr/^ts,requestId,keyId,userId,accountId,/,
         'with its header');
    is(scalar @lines, 6, 'and a line per record');
    ok(grep({ $_->[2] eq 'create' && $_->[3] =~ /^api_key / }
            @{ $b->{audit} || [] }), 'the audit log shows the key created')
        or diag(explain($b->{audit}));
    like($b->{userAudit}, qr/Only admins/, 'a user sees no audit log');
    is($b->{userUsageCount}, '0 records', 'and only their own usage');
    like($b->{userWho}, qr/^bob \(user\)$/, 'then a plain user');
    ok(!grep({ $_ eq '#accounts' } @{ $b->{userNav} || [] }),
       'who sees no accounts link');
    ok(!$b->{userStatesShown}, 'nor the accounts on the dashboard');
    like($b->{userAccounts}, qr/Only admins/, 'nor the accounts page');
    is($b->{staleRows}, 0, 'nothing of the admin\'s stays in the page');
    is_deeply($b->{userKeys}, [ 'bob key' ], 'only their own keys');
    ok(!$b->{phoneOverflow}, 'no sideways scroll at a phone\'s width');
    my @errors = grep { !m{status of 401 .*/api/v1/auth/login} }
                 @{ $b->{errors} || [] };
    is_deeply(\@errors, [], 'no console errors (but the refused login)');
    is(scalar @{ $b->{shots} || [] }, 12, 'twelve screenshots');
    ok(-s $_, "screenshot $_") for @{ $b->{shots} || [] };
}

# ---- guesses are limited per address ----

my $unknown = 'cr_' . ('0' x 64);
my @st = map { get('/api/v1/key-self', { 'x-api-key' => $unknown })
                   ->{status} } 1 .. 5;
is_deeply(\@st, [ 401, 401, 401, 429, 429 ],
          'unknown keys: 401, then 429 for this address');
$r = get('/api/v1/key-self', { 'x-api-key' => $key->{key} });
is($r->{status}, 429, 'even a good key waits: no guessing in between');
like($r->{headers}{'retry-after'}, qr/^\d+$/, 'with Retry-After');

$stack->finish;
