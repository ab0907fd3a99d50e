#!/usr/bin/perl
# The web console (issue 18): admind serves the console's files (content
# types, a strict CSP, no way out of the directory; make install lays them
# out beside admind), GET /api/v1/key-self answers a key about itself only
# and limits guesses per address, and Debian's chromium, headless, drives
# the key page and the admin console (t/sdk/console_browser.js and
# console_admin.js) through real traffic on the real stack: as an admin,
# as a user and as a directory (LDAP) user, every page checked against
# MySQL, the API and the mock, Chinese, a phone's width, the keyboard, no
# console errors.  Screenshots go to build/console-shots/ on every run.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Path qw(make_path);
use Test::More;
use JSON::PP;
use QL::Stack;
use QL::Ldap;

# a directory user logs in to the console too (slapd, started below)
my $ldap_port = QL::Stack::free_port();
my $BASE = 'dc=example,dc=org';

my $stack = QL::Stack->new(admind_conf => join("\n",
    'login_max_failures = 3', 'login_max_failures_per_addr = 4',
    # the OAuth onboarding the console walks through, against the mock
    'oauth_claude_token_url = @MOCK_URL@/v1/oauth/token',
    'oauth_claude_authorize_url = https://claude.example/oauth/authorize',
    'oauth_claude_client_id = test-client',
    'oauth_droid_token_url = @MOCK_URL@/user_management/authenticate',
    'oauth_droid_client_id = test-client',
    "ldap_url = ldap://127.0.0.1:$ldap_port/",
    "ldap_bind_dn_template = uid=%s,ou=people,$BASE",
    'ldap_user_role = user'));
my $admin = $stack->admin_url;

is(QL::Ldap::load($stack, base => $BASE, people => [
       { uid => 'dora', cn => 'Dora', sn => 'D',
         password => 'dora-directory-pw' } ]), 0, 'a directory with dora');
QL::Ldap::start($stack, $ldap_port);

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
is($r->{headers}{'cache-control'}, 'no-store', 'never cached stale');
is($r->{headers}{'referrer-policy'}, 'no-referrer', 'no referrer sent');
for my $f (qw(index.html app.js dashboard.js charts.js uplot.js uplot.css)) {
    is(get("/console/$f")->{status}, 200, "/console/$f: the built console");
}
unlike(get('/console/index.html')->{content},
       qr/<script>|\sstyle=|\son\w+=|(?:src|href)="(?:https?:)?\/\//,
       'the console page: nothing inline, nothing from elsewhere');
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

# ---- make install puts the console beside admind ----

{
    my $dest = $stack->dir . '/install';
    # (outside the make that may run this test)
    my $make = 'env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s '
        . "-C $QL::Stack::REPO install DESTDIR=$dest PREFIX=/usr 2>&1";
    my $log = `$make`;
    is($?, 0, 'make install') or diag($log);
    ok(-x "$dest/usr/sbin/quotalane-admind", 'admind installed');
    ok(-s "$dest/usr/lib/quotalane/ngx_http_quotalane_module.so",
       'the module');
    ok(-s "$dest/usr/share/quotalane/migrations/0001_schema_v1.sql",
       'the migrations');
    is_deeply([ sort map { s{.*/}{}r }
                glob("$dest/usr/share/quotalane/console/*") ],
              [ sort map { s{.*/}{}r }
                glob("$QL::Stack::REPO/build/console/*") ],
              'the console, as make console laid it out');
    ok(-s "$dest/usr/share/quotalane/console/uplot.js",
       'with its chart library');
    ok(QL::Stack::file_has("$dest/usr/share/quotalane/admind.conf.example",
           qr{^console_dir = /usr/share/quotalane/console\n}m)
       && QL::Stack::file_has(
           "$dest/usr/share/quotalane/admind.conf.example",
           qr{^migrations_dir = /usr/share/quotalane/migrations\n}m),
       'and an admind.conf that points there');
}

# ---- the key, some traffic, another key ----

my $acct = $stack->make_account;
my $key = $stack->make_key(name => 'my laptop',
                           dailyCostLimitMicros => '5000000',
                           concurrencyLimit => 4, rateLimitRequests => 100,
                           rateWindowSeconds => 60);
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

my $cost = sub { sprintf('$%.4f', $_[0] / 1e6) };

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
    is_deeply([ @{ $b->{recent}[0] || [] }[1 .. 5] ],
              [ 'claude-sonnet-4-5', 100, 20, $cost->($rows[1]{cost_micros}),
                200 ], 'each with its model, tokens, cost and status');
    is_deeply($b->{facts}, [ 'active', 'never', 'all', '4',
                             '100 requests / 60 s' ],
              'its status, expiry, platforms, concurrency and rate limit');
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
    # an account the gateway is keeping out for an hour
    my $doomed = $stack->make_account(name => 'doomed');
    my $until = int(time() + 3600) * 1000;
    $stack->redis('HSET', "ql:{main}:account:$doomed->{id}",
                  'cooldown_until_ms', $until);
    local $ENV{CONSOLE_URL} = $admin;
    local $ENV{GATEWAY_URL} = $stack->gateway_url;
    local $ENV{MOCK_URL} = $stack->mock_url;
    local $ENV{ADMIN_USER} = $stack->{admin_user};
    local $ENV{ADMIN_PASSWORD} = $stack->{admin_password};
    local $ENV{ACCOUNT_NAME} = $acct->{name};
    local $ENV{USER_NAME} = 'bob';
    local $ENV{USER_ID} = $bob->{id};
    local $ENV{LDAP_USER} = 'dora';
    local $ENV{LDAP_PASSWORD} = 'dora-directory-pw';
    local $ENV{USER_PASSWORD} = $pw;
    local $ENV{SHOTS} = $shots;
    my $err = $stack->dir . '/admin-browser.err';
    my $out = `node $FindBin::Bin/sdk/console_admin.js 2>$err`;
    is($?, 0, 'chromium drove the admin console') or diag(`cat $err`);
    my $b = eval { decode_json($out) } || {};

    # the login page, as an admin
    like($b->{landed}, qr{/console/index\.html}, '/ lands on the console');
    is_deeply($b->{loginTabs}, [ qw(lang username password submit) ],
              'the keyboard: language, user name, password, log in');
    is_deeply($b->{unlabelled}, [], 'every field has a label');
    like($b->{badLogin}, qr/Wrong user name or password/,
         'a wrong password is refused');
    like($b->{who}, qr/\(admin\)$/, 'signed in as an admin');
    is($b->{focusAfterLogin}, 'H2 Dashboard',
       'the page\'s heading has focus');

    # the dashboard
    is($b->{totals}{Requests}, 3, 'the dashboard: every request so far');
    is_deeply([ @{ $b->{states} || {} }{qw(active coolingDown circuitOpen
                                           error disabled)} ],
              [ 1, 1, 0, 0, 0 ],
              'accounts by state: one active, one cooling down');
    is_deeply([ map { [ @$_[0, 1, 3] ] } @{ $b->{stateList} || [] } ],
              [ [ 'doomed', 'cooling down', 100 ] ], 'which is listed');
    is($b->{stateUntil}, $until, 'with until when');
    is($b->{stream}{waiting}, 0, 'and the stream backlog');
    is_deeply($b->{navAdmin}, [ '#dashboard', '#accounts', '#keys',
                                '#usage', '#billing', '#users', '#audit',
                                '' ],
              'an admin sees every page');
    is($b->{current}, '#dashboard', 'the page marked in the menu');
    is_deeply($b->{charts}, [ [ 'chart-requests', JSON::PP::true, 24 ],
                              [ 'chart-tokens', JSON::PP::true, 24 ],
                              [ 'chart-cost', JSON::PP::true, 24 ] ],
              'requests, tokens and cost charted by hour, with tables');
    is($b->{requestsChart}, 3, 'the requests chart adds up');
    is_deeply($b->{topModels}, [ [ 'claude-sonnet-4-5', 3,
                                   $cost->($spent + 600) ] ],
              'the top models');
    is($b->{days}, 30, 'the last 30 days, by day');

    # accounts
    is($b->{focusAccounts}, 'H2 Accounts', 'a new page takes the focus');
    my ($arow) = grep { $_->[0] eq $acct->{name} } @{ $b->{accounts} || [] };
    is_deeply($arow, [ $acct->{name}, 'claude-console', 'active', 50, 100,
                       'closed', '—', 0 ],
              'an account with its live state') or diag(explain($arow));
    like($b->{testResult}, qr/answered \(200,/, 'its test button');
    is_deeply($b->{groups}, [ [ 'browser-group', 'openai', '0' ] ],
              'an account group made');
    is_deeply($b->{groupsAfter}, [ [ 'browser-group', 'openai', '1' ] ],
              'and an account made into it');
    is($b->{accountMade}, 'Created: browser-made (openai)',
       'an account made with the form');
    is_deeply($b->{typeFields}, {
        'azure-openai' => [ qw(azureDeployment azureApiVersion apiKey) ],
        bedrock => [ qw(awsRegion awsAccessKeyId awsSecretAccessKey
                        awsSessionToken apiKey) ],
        codex => [ qw(chatgptAccountId accessToken refreshToken) ],
        'gemini-oauth' => [ qw(projectId accessToken refreshToken) ] },
        'the form asks each type for its own fields');
    is($b->{oauthMade}, 'Created: max-browser (claude-official)',
       'a Claude subscription through the OAuth flow');
    is($b->{oauthRenewed}, 'Renewed: max-browser (claude-official)',
       'and renewed with a new code');
    ok(!$b->{renewNameShown}, '(no name asked for a renewal)');
    is($b->{droidMade}, 'Created: droid-browser (droid)',
       'a Droid account from a refresh token');
    ok(!$b->{droidStartShown} && !$b->{droidCodeShown},
       '(no authorize step or code for Droid)');
    is($stack->sql_root("SELECT COUNT(*) FROM accounts WHERE name IN "
                        . "('max-browser', 'droid-browser') AND "
                        . "refresh_token_enc IS NOT NULL"), "2\n",
       'both with their refresh tokens');
    is_deeply($b->{accountButtons}{'max-browser'},
              [ 'Test', 'Reset', 'Edit', 'Refresh', 'Disable', 'Delete' ],
              'a subscription account can be refreshed');
    is_deeply($b->{accountButtons}{'browser-made'},
              [ 'Test', 'Reset', 'Edit', 'Disable', 'Delete' ],
              'an API-key one not');
    is_deeply([ sort @{ $b->{afterDelete} || [] } ],
              [ sort $acct->{name}, 'browser-made', 'max-browser',
                'droid-browser' ], 'an account deleted');
    is($stack->sql_root("SELECT COUNT(*) FROM accounts WHERE "
                        . "name = 'doomed'"), "0\n", 'gone from MySQL');
    is_deeply($b->{editFields}, [ 'apiKey' ],
              'the edit form: the type\'s credential');
    is($b->{editModels}, 'gpt-4o=gpt-4o-2024-08-06',
       'and the model map made with it');
    is($b->{accountEditResult}, 'browser-made: Saved.', 'an account edited');
    ok($b->{accountEditHidden}, 'the form closes');
    like($b->{editedTest}, qr/^browser-made: answered \(200,/,
         'then tested');
    my ($made) = grep { $_->{name} eq 'browser-made' }
        @{ $stack->admin('GET', '/api/v1/accounts?pageSize=500')->{json}
           {accounts} || [] };
    is_deeply([ @{ $made || {} }{qw(priority rpmLimit supportedModels
                                    modelMap baseUrl)} ],
              [ 5, 600, [ 'gpt-4o', 'gpt-4o-mini' ],
                { 'gpt-4o' => 'gpt-4o-2024-08-06' },
                $stack->mock_url . '/openai' ],
              'its new priority, rpm limit and models stored, the rest kept')
        or diag(explain($made));
    ok(grep({ $_->{credential} eq 'sk-browser-2' }
            @{ $stack->mock_requests }), 'its new credential used');

    # keys
    is($b->{keyOwner}, 'admin', 'a new key is the admin\'s own by default');
    like($b->{newKey}, qr/^cr_[0-9A-Za-z_-]{64}$/, 'a created key, shown');
    like($b->{copied}, qr/^(Copied\.|Select the key and copy it\.)$/,
         'the copy button copies it (or selects it where the browser '
         . 'keeps no clipboard)');
    ok(!length($b->{clipboard} // '') || $b->{clipboard} eq $b->{newKey},
       'and the clipboard, where headless chromium keeps one, has it');
    is($b->{keyEditResult}, 'made in the browser: Saved.', 'a key edited')
        or diag(explain($b->{keyEditInvalid}));
    my ($edited) = grep { $_->{name} eq 'made in the browser' }
        @{ $stack->admin('GET', '/api/v1/api-keys?pageSize=500')->{json}
           {apiKeys} || [] };
    is_deeply([ @{ $edited || {} }{qw(dailyCostLimitMicros rateLimitRequests
                                      permissions blockedModels
                                      allowedClients expiresAt
                                      accountId)} ],
              [ '5000000', 100, [ 'claude' ], [ 'claude-opus-4-1' ],
                [ '^node' ], '2031-01-01T00:00:00Z', $acct->{id} ],
              'its limits, platforms, models, clients, expiry, binding')
        or diag(explain($edited));
    is_deeply([ @{ $b->{keyRow} || [] }[0, 2, 3, 4] ],
              [ 'made in the browser', 'admin', 'active',
                '$5.0000 a day, 100 requests per 60 s' ],
              'listed with its owner and limits');
    like($b->{rotated}, qr/^cr_[0-9A-Za-z_-]{64}$/, 'a key rotated');
    is($stack->gateway('POST', '/v1/messages',
                       { 'x-api-key' => $other->{key} },
                       { model => 'claude-sonnet-4-5', max_tokens => 8,
                         messages => [] })->{status}, 401,
       'the rotated key\'s old value no longer works');

    # users
    is_deeply([ @{ $b->{carol} || [] }[0 .. 5] ],
              [ 'carol', '', 'user', 'active', 'local', '—' ],
              'a user made');
    is_deeply([ @{ $b->{carolAfter} || [] }[1, 3] ],
              [ 'Carol C.', 'disabled' ], 'then edited and disabled');

    # traffic with the new key, on the dashboard
    is_deeply($b->{gateway}, [ 200, 200 ], 'the new key works');
    is($b->{totalsAfter}{Requests}, 5, 'and its requests are on the board');
    is($b->{requestsChartAfter}, 5, 'in the chart too');
    my ($row) = grep { $_->[0] eq 'made in the browser' }
                @{ $b->{topKeys} || [] };
    is($row && $row->[1], 2, 'the new key among the top keys, by name')
        or diag(explain($b->{topKeys}));
    is_deeply($b->{topAccounts}, [ [ $acct->{name}, 5,
                                     $cost->(5 * 600) ] ],
              'the top accounts, by name');

    # usage
    is($b->{usageCount}, '5 records', 'usage: every record');
    is(scalar @{ $b->{usageRows} || [] }, 5, 'listed');
    is_deeply([ @{ $b->{usageRows}[0] || [] }[1, 2, 3, 4, 5, 6, 8] ],
              [ 'made in the browser', 'admin', $acct->{name},
                'claude-sonnet-4-5', 100, 20, $cost->(600) ],
              'the newest first, with key, user and account names')
        or diag(explain($b->{usageRows}));
    is($b->{usageByKey}, '2 records', 'filtered by key');
    is($b->{usageFiltered}, '0 records', 'and by model');
    like($b->{exported}, qr/^5 records/, 'the CSV export');
    my $csv = "$shots/quotalane-usage.csv";
    ok(-s $csv, 'downloaded');
    my @lines = -s $csv ? do { open my $fh, '<', $csv; <$fh> } : ();
    like($lines[0] // '', qr/^ts,requestId,keyId,userId,accountId,/,
         'with its header');
    is(scalar @lines, 6, 'and a line per record');

    # audit
    ok(grep({ $_->[2] eq 'create' && $_->[3] =~ /^api_key / }
            @{ $b->{audit} || [] }), 'the audit log shows the key created')
        or diag(explain($b->{audit}));
    is_deeply($b->{audit}[0] && [ @{ $b->{audit}[0] }[1, 2] ],
              [ 'admin', 'rotate' ],
              'the newest change first (the rotation)');
    is_deeply($b->{auditRotations}, [ [ 'admin', 'rotate',
                                        "api_key $other->{id}" ] ],
              'filtered: the one rotation');

    # billing
    is_deeply([ sort map { "$_->[0] $_->[2] $_->[3] $_->[4]" }
                @{ $b->{plans} || [] } ],
              [ 'pro $20.0000 $9.9000 active',
                'team $50.0000 $19.9000 active' ],
              'billing: the plans, one made in the console');
    is_deeply([ sort map { join ' ', @$_[0, 1, 2] }
                @{ $b->{subscriptions} || [] } ],
              [ 'admin team cancelled', 'bob pro active' ],
              'the subscriptions, one made and cancelled in the console');
    ok(grep({ $_->[3] eq $cost->($spent) } @{ $b->{bills} || [] }),
       "this month's bills, as MySQL has them") or diag(explain($b->{bills}));
    like($b->{billState}, qr/^Open/, 'open, the month not over');
    ok(!$b->{closeShown}, 'so it cannot be closed');
    ok($b->{oldMonthClose}, 'a month that is over can');

    is_deeply($b->{navZh}, [ '概览', '上游账户', 'API 密钥', '用量记录',
                             '套餐与账单', '用户', '审计日志', '密钥用量页' ],
              'in Simplified Chinese');
    is($b->{dashZh}, '概览', 'the page too');
    is_deeply($b->{phoneOverflowAdmin}, { dashboard => JSON::PP::false,
              accounts => JSON::PP::false, keys => JSON::PP::false,
              usage => JSON::PP::false },
              'no sideways scroll at a phone\'s width, on any page');

    # a plain user
    is($b->{clearedAfterLogout}, 0, 'logging out clears every table');
    like($b->{userWho}, qr/^bob \(user\)$/, 'then a plain user');
    ok(!grep({ $_ eq '#accounts' } @{ $b->{userNav} || [] }),
       'who sees no accounts link');
    ok(!$b->{userStatesShown}, 'nor the accounts on the dashboard');
    ok(!$b->{userTopAccountsShown}, 'nor the top accounts');
    like($b->{userAccounts}, qr/Only admins/, 'nor the accounts page');
    ok(!$b->{userAccountsShown}, 'which stays hidden');
    like($b->{userAudit}, qr/Only admins/, 'nor the audit log');
    like($b->{userUsers}, qr/Only admins/, 'nor the users');
    is($b->{userUsageCount}, '0 records', 'and only their own usage');
    is_deeply($b->{userUsageFilters}, [ qw(Model Platform Key From To) ],
              'filtered by what is theirs');
    is_deeply([ map { [ @$_[0, 1] ] } @{ $b->{userSubscriptions} || [] } ],
              [ [ 'bob', 'pro' ] ], 'a user sees their own subscription');
    is_deeply($b->{userAdminForms}, [], 'and no admin form');
    ok(!grep({ $_->[0] ne 'bob' } @{ $b->{userBills} || [] }),
       'only their own bill');
    is($b->{staleRows}, 0, 'nothing of the admin\'s stays in the page');
    is_deeply($b->{userKeys}, [ 'bob key' ], 'only their own keys');
    ok(!$b->{userKeyOwner}, 'made for themselves only');
    ok(!$b->{userKeyEditShown}, 'no edit form left open');
    ok(!$b->{userBindingShown}, 'and no account binding to set');
    ok(!$b->{phoneOverflow}, 'no sideways scroll at a phone\'s width');
    is($b->{revokeStatus}, 200, 'their password changed meanwhile');
    is($b->{revoked}, 'Your session ended; log in again.',
       'which ends their session in the console at its next call');
    is($b->{revokedRows}, 0, 'and clears the page');
    is($b->{revokedToken}, undef, 'and forgets the token');
    my @errors = grep { !m{status of 401 .*/api/v1/auth/login} }
                 @{ $b->{errors} || [] }[0 .. ($b->{errorsBeforeRevoke}
                                              // 1) - 1];
    is_deeply(\@errors, [], 'no console errors (but the refused login)');
    is($b->{ldapWho}, 'dora (user)', 'a directory user logs in (LDAP)');
    is_deeply($b->{ldapKeys}, [], 'and has no keys yet');
    my ($dora) = grep { $_->{username} eq 'dora' }
        @{ $stack->admin('GET', '/api/v1/users?pageSize=500')->{json}{users}
           || [] };
    is($dora && $dora->{authSource}, 'ldap', 'made from the directory');
    is_deeply([ grep { !/status of 401/ }
                @{ $b->{errors} || [] }[($b->{errorsBeforeRevoke} // 0)
                                        .. $#{ $b->{errors} || [] }] ],
              [], 'and after, the revoked token\'s 401 only');
    is(scalar @{ $b->{shots} || [] }, 13, 'thirteen screenshots');
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
