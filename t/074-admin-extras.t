#!/usr/bin/perl
# The admin API's smaller operations: rotating an API key (the new key is
# shown once, the old record is deleted at once), sorting lists
# (orderBy), keys whose expiry counts from their first use, and account
# status, cooldown, manual reset and proxy settings, and versions (409)
# on plans and subscriptions.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(sha256_hex);
use Time::HiRes qw(sleep);
use Time::Local qw(timegm);
use QL::Stack;

my $stack = QL::Stack->new(services => [qw(redis mariadb admind)]);
# the one loopback port outbound_allow lets accounts and proxies use
my $upstream = '127.0.0.1:' . $stack->mock_port;
my $JSON = JSON::PP->new->canonical;
my $P = 'ql:{main}:';

sub api { $stack->admin(@_) }

sub hgetall {
    my $list = $stack->redis('HGETALL', $_[0]);
    return ref $list eq 'ARRAY' ? { @$list } : {};
}

sub status_is {
    my ($res, $status, $name) = @_;
    is($res->{status}, $status, $name) or diag($res->{content});
}

sub login {
    my ($user, $password) = @_;
    my $res = $stack->request('POST', $stack->admin_url
        . '/api/v1/auth/login', {}, { username => $user,
                                      password => $password });
    die "login $user: $res->{status}\n" unless $res->{status} == 200;
    return $res->{json}{token};
}

my $alice = $stack->make_user(username => 'alice', password => 'alice-pw-1');
my $bob = $stack->make_user(username => 'bob', password => 'bob-pw-12');
my $bob_token = login('bob', 'bob-pw-12');

# ---- rotation ----

my $key = $stack->make_key(userId => $alice->{id}, concurrencyLimit => 2);
my $old = sha256_hex($key->{key});
ok(%{ hgetall("${P}key:$old") }, 'the key has a record');

my $res = api('POST', "/api/v1/api-keys/$key->{id}/rotate");
status_is($res, 200, 'rotate');
my $new = $res->{json};
like($new->{key}, qr/^cr_[0-9a-f]{64}$/, 'the new key is shown');
isnt($new->{key}, $key->{key}, '... and is another key');
is($new->{keyPrefix}, substr($new->{key}, 0, 10), '... with its prefix');
is($new->{id}, $key->{id}, 'the same row');
is($new->{concurrencyLimit}, 2, 'limits stay');
is($new->{version}, $key->{version} + 1, 'the version moves');
is_deeply(hgetall("${P}key:$old"), {}, 'the old record is gone');
is(hgetall("${P}key:" . sha256_hex($new->{key}))->{id}, $key->{id},
   'the new record is there');
ok(!exists api('GET', "/api/v1/api-keys/$key->{id}")->{json}{key},
   'a read never shows the key');
my $audit = api('GET', "/api/v1/audit-log?resource=api_key&resourceId="
                . $key->{id})->{json};
ok((grep { $_->{action} eq 'rotate' } @{ $audit->{entries} // [] }),
   'the rotation is audited') or diag($JSON->encode($audit));

status_is(api('POST', '/api/v1/api-keys/999999/rotate'), 404,
          'no such key: 404');
status_is(api('POST', "/api/v1/api-keys/$key->{id}/rotate", undef,
              $bob_token), 404, 'another user\'s key is 404 to a user');
my $bobs = $stack->make_key(userId => $bob->{id});
$res = api('POST', "/api/v1/api-keys/$bobs->{id}/rotate", undef,
           $bob_token);
status_is($res, 200, 'a user rotates their own key');
like($res->{json}{key}, qr/^cr_/, '... and sees the new one');
is_deeply(hgetall("${P}key:" . sha256_hex($bobs->{key})), {},
          '... the old one is gone');

# ---- sorting ----

for my $name (qw(kb ka kc)) {
    $stack->make_key(userId => $alice->{id}, name => $name);
}

sub names {
    my ($res, $member, $field) = @_;
    return join ',', map { $_->{$field} } @{ $res->{json}{$member} // [] };
}

my $q = "/api/v1/api-keys?userId=$alice->{id}";
$res = api('GET', "$q&orderBy=name");
status_is($res, 200, 'orderBy=name');
like(names($res, 'apiKeys', 'name'), qr/^ka,kb,kc,key-/,
     '... sorts by name');
is(names(api('GET', "$q&orderBy=name%20desc"), 'apiKeys', 'name'),
   join(',', reverse split /,/, names($res, 'apiKeys', 'name')),
   'orderBy=name desc reverses it');
is(names(api('GET', "$q&orderBy=name+DESC"), 'apiKeys', 'name'),
   names(api('GET', "$q&orderBy=name%20desc"), 'apiKeys', 'name'),
   '"+" separates words too, the direction in any case');
my @ids = map { $_->{id} } @{ api('GET', "$q&orderBy=createdAt%20desc,"
                                         . "id%20desc")->{json}{apiKeys} };
is_deeply(\@ids, [ sort { $b <=> $a } @ids ],
          'orderBy=createdAt desc, id desc');
$res = api('GET', "$q&orderBy=name&pageSize=2");
my $next = api('GET', "$q&orderBy=name&pageSize=2&pageToken="
               . $res->{json}{nextPageToken});
is(names($res, 'apiKeys', 'name') . ',' . names($next, 'apiKeys', 'name'),
   join(',', (split /,/, names(api('GET', "$q&orderBy=name"), 'apiKeys',
                                'name'))[0 .. 3]),
   'pages follow the order');

$res = api('GET', "$q&orderBy=keyHash");
status_is($res, 400, 'a field not in the list is 400');
like($res->{json}{error}{message}, qr/"orderBy".*"keyHash"/,
     '... naming the parameter and the field');
$res = api('GET', "$q&orderBy=name%20sideways");
status_is($res, 400, 'a direction other than asc or desc is 400');
like($res->{json}{error}{message}, qr/"sideways"/, '... naming it');
status_is(api('GET', "$q&orderBy=name%20asc%20x"), 400,
          'three words are 400');
status_is(api('GET', "$q&orderBy=lastUsedAt%20desc"), 200,
          'keys sort by lastUsedAt');

$stack->make_user(username => 'zed');
is(names(api('GET', '/api/v1/users?orderBy=username%20desc'), 'users',
         'username') =~ /^zed,/ ? 1 : 0, 1, 'users sort by username');
status_is(api('GET', '/api/v1/users?orderBy=password'), 400,
          'not by password');
status_is(api('GET', '/api/v1/account-groups?orderBy=name'), 200,
          'groups sort by name');
status_is(api('GET', '/api/v1/accounts?orderBy=priority%20desc,name'), 200,
          'accounts sort by priority');
status_is(api('GET', '/api/v1/audit-log?orderBy=id%20desc'), 200,
          'any list sorts by id');
status_is(api('GET', '/api/v1/audit-log?orderBy=action'), 400,
          '... and by its own fields only');

# ---- expiry from the first use ----

$res = api('POST', '/api/v1/api-keys', { name => 'ffu',
    userId => $alice->{id}, expiryMode => 'fromFirstUse',
    activationDays => 1 });
status_is($res, 201, 'a key that expires a day after its first use');
my $ffu = $res->{json};
is($ffu->{expiryMode}, 'fromFirstUse', '... shows its mode');
is($ffu->{activationDays}, 1, '... and its period');
ok(!defined $ffu->{expiresAt}, '... and no expiry yet');
ok(!defined $ffu->{firstUsedAt}, '... nor a first use');
my $ffu_rec = "${P}key:" . sha256_hex($ffu->{key});
is(hgetall($ffu_rec)->{expires_at}, '0', 'its record never expires yet');

status_is(api('POST', '/api/v1/api-keys', { name => 'x',
    userId => $alice->{id}, expiryMode => 'fromFirstUse' }), 400,
    'fromFirstUse needs activationDays');
$res = api('POST', '/api/v1/api-keys', { name => 'x',
    userId => $alice->{id}, expiryMode => 'fromFirstUse',
    activationDays => 3, expiresAt => '2030-01-01T00:00:00Z' });
status_is($res, 400, 'fromFirstUse takes no expiresAt');
like($res->{json}{error}{message}, qr/"expiresAt"/, '... naming it');
status_is(api('POST', '/api/v1/api-keys', { name => 'x',
    userId => $alice->{id}, expiryMode => 'never' }), 400,
    'an unknown mode is 400');
is(api('GET', "/api/v1/api-keys/$key->{id}")->{json}{expiryMode}, 'fixed',
   'keys are fixed by default');

$stack->sql_root("INSERT INTO usage_records (request_id, ts, api_key_id, "
    . "user_id, account_id, platform, model, input_tokens, output_tokens, "
    . "cost_micros) VALUES ('ffu-1', '2026-03-04 05:06:07.250', "
    . "$ffu->{id}, $alice->{id}, 1, 'claude', 'claude-sonnet-4', 1, 1, 1), "
    . "('ffu-2', '2026-03-05 00:00:00', $ffu->{id}, $alice->{id}, 1, "
    . "'claude', 'claude-sonnet-4', 1, 1, 1)");

my $got;
ok($stack->eventually(10, sub {
    $got = api('GET', "/api/v1/api-keys/$ffu->{id}")->{json};
    defined $got->{expiresAt};
}), 'the first use gives the key its expiry within seconds');
is($got->{firstUsedAt}, '2026-03-04T05:06:07Z', '... the first use is the '
   . 'earliest record');
is($got->{expiresAt}, '2026-03-05T05:06:07Z', '... and a day after it');
is($got->{version}, $ffu->{version} + 1, '... under a new version');
my $expected = timegm(7, 6, 5, 5, 2, 2026);
ok($stack->eventually(5, sub { (hgetall($ffu_rec)->{expires_at} // '') =~
                       /^\Q$expected\E/ }),
   'the Redis record expires then too')
    or diag($JSON->encode(hgetall($ffu_rec)));

$res = api('PATCH', "/api/v1/api-keys/$ffu->{id}", { activationDays => 3 });
status_is($res, 200, 'a longer period');
is($res->{json}{expiresAt}, '2026-03-07T05:06:07Z',
   '... moves the expiry from the first use');
status_is(api('PATCH', "/api/v1/api-keys/$ffu->{id}",
              { expiresAt => '2031-01-01T00:00:00Z' }), 400,
          'no expiresAt for a fromFirstUse key');
$res = api('PATCH', "/api/v1/api-keys/$ffu->{id}", { expiryMode => 'fixed',
           expiresAt => '2031-01-01T00:00:00Z' });
status_is($res, 200, 'back to a fixed expiry');
is($res->{json}{expiresAt}, '2031-01-01T00:00:00Z', '... which is kept');

# ---- account status, cooldown and reset ----

my @acc = map {
    $stack->make_or_die('/api/v1/accounts', { name => "acc-$_->[0]",
        type => 'claude-console', baseUrl => "http://$upstream",
        apiKey => 'sk-ant-' . $_->[0] x 8, priority => $_->[1] })
} [ 'a', 10 ], [ 'b', 30 ], [ 'c', 20 ];
is(names(api('GET', '/api/v1/accounts?orderBy=priority%20desc'),
         'accounts', 'name'), 'acc-b,acc-c,acc-a',
   'accounts sort by priority');

my $acc = $acc[0];
is($acc->{health}, 100, 'a new account is healthy');
is($acc->{circuit}, 'closed', '... its circuit closed');
ok(exists $acc->{cooldownUntil} && !defined $acc->{cooldownUntil},
   '... and it has no cooldown');

my $until = (time + 600) * 1000;
my $arec = "${P}account:$acc->{id}";
$stack->redis('HSET', $arec, 'cooldown_until_ms', $until, 'health', 35,
              'circuit', 'open', 'circuit_until_ms', $until,
              'probe_until_ms', $until);
$got = api('GET', "/api/v1/accounts/$acc->{id}")->{json};
my @t = gmtime(int($until / 1000));
is($got->{cooldownUntil}, sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ',
   $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0]), 'GET shows the cooldown');
is($got->{health}, 35, '... the health');
is($got->{circuit}, 'open', '... and the open circuit');
is((grep { $_->{id} eq $acc->{id} } @{ api('GET', '/api/v1/accounts')
   ->{json}{accounts} })[0]{circuit}, 'open', 'the list shows it too');
status_is(api('PATCH', "/api/v1/accounts/$acc->{id}", { name => 'acc-a',
              map { ($_ => $got->{$_}) } qw(cooldownUntil health circuit) }),
          200, 'the state fields are output only: sent back, ignored');

$res = api('POST', "/api/v1/accounts/$acc->{id}/reset");
status_is($res, 200, 'reset');
is($res->{json}{health}, 100, '... healthy again');
is($res->{json}{circuit}, 'closed', '... circuit closed');
ok(!defined $res->{json}{cooldownUntil}, '... no cooldown');
my $h = hgetall($arec);
is($h->{health}, '100', 'Redis: health 100');
ok(!exists $h->{cooldown_until_ms} && !exists $h->{circuit}
   && !exists $h->{circuit_until_ms} && !exists $h->{probe_until_ms},
   'Redis: cooldown, circuit and probe cleared');
ok(exists $h->{platform}, 'Redis: the configuration stays')
    or diag($JSON->encode($h));
$audit = api('GET', "/api/v1/audit-log?resource=account&resourceId="
             . $acc->{id})->{json};
my ($entry) = grep { $_->{action} eq 'reset' } @{ $audit->{entries} // [] };
ok($entry, 'the reset is audited') or diag($JSON->encode($audit));
status_is(api('POST', '/api/v1/accounts/999999/reset'), 404,
          'no such account: 404');
status_is(api('POST', "/api/v1/accounts/$acc->{id}/reset", undef,
              $bob_token), 403, 'users cannot reset accounts');
$stack->redis('DEL', $arec);
status_is(api('POST', "/api/v1/accounts/$acc->{id}/reset"), 200,
          'reset of an unpublished account');
is_deeply(hgetall($arec), {}, '... makes no half record');

# ---- proxy settings ----

my $pa = $acc[1];
ok(!defined $pa->{proxyUrl} && !$pa->{hasProxyPassword}, 'no proxy yet');
$res = api('PATCH', "/api/v1/accounts/$pa->{id}", {
    proxyUrl => "socks5://$upstream", proxyUsername => 'px',
    proxyPassword => 'px-secret-1' });
status_is($res, 200, 'a proxy with a username and password');
is($res->{json}{proxyUrl}, "socks5://$upstream", '... URL shown');
is($res->{json}{proxyUsername}, 'px', '... username shown');
ok($res->{json}{hasProxyPassword}, '... a password is stored');
ok(!exists $res->{json}{proxyPassword}, '... and never shown');
is($res->{json}{version}, $pa->{version} + 1, '... a new version');
my $raw = $stack->sql_root("SELECT proxy_config FROM quotalane.accounts "
                           . "WHERE id = $pa->{id}");
like($raw // '', qr/"passwordEnc": *"[0-9a-f]{40,}"/,
     'the password is stored sealed');
unlike($raw // '', qr/px-secret-1/, '... never in plain text');
my $log = api('GET', "/api/v1/audit-log?resource=account&resourceId="
              . $pa->{id})->{json};
unlike($JSON->encode($log), qr/px-secret-1/, 'and not in the audit log');
for my $bad ('ftp://10.0.0.1', 'socks5://', 'http://u:p@h:1',
             'socks4://h:1') {
    $res = api('PATCH', "/api/v1/accounts/$pa->{id}", { proxyUrl => $bad });
    status_is($res, 400, "proxyUrl $bad is 400");
}
like($res->{json}{error}{message}, qr/"proxyUrl"/, '... naming it');
$res = api('PATCH', "/api/v1/accounts/$pa->{id}",
           { proxyUrl => 'http://localhost:' . $stack->mock_port });
is($res->{json}{proxyUsername}, 'px', 'a new URL keeps the username');
ok($res->{json}{hasProxyPassword}, '... and the password');
$res = api('PATCH', "/api/v1/accounts/$pa->{id}", { proxyPassword => undef });
ok(!$res->{json}{hasProxyPassword}, 'null removes the password');
$res = api('PATCH', "/api/v1/accounts/$pa->{id}", { proxyUrl => undef });
ok(!defined $res->{json}{proxyUrl} && !defined $res->{json}{proxyUsername},
   'a null URL removes the proxy');
status_is(api('PATCH', "/api/v1/accounts/$pa->{id}",
              { proxyUsername => 'x' }), 400,
          'a username without a URL is 400');
$res = api('POST', '/api/v1/accounts', { name => 'acc-p',
    type => 'claude-console', baseUrl => "http://$upstream",
    apiKey => 'sk-ant-pppppppp', proxyUrl => "https://$upstream",
    proxyPassword => 'pw' });
status_is($res, 201, 'a proxy on create');
is($res->{json}{proxyUrl}, "https://$upstream", '... shown');
ok($res->{json}{hasProxyPassword}, '... with its password');

# ---- optimistic concurrency on plans and subscriptions ----

my $plan = $stack->make_or_die('/api/v1/plans', { name => 'vplan',
    period => 'monthly', quotaCostMicros => '1000000' });
is($plan->{version}, 1, 'a new plan is version 1');
$res = api('PATCH', "/api/v1/plans/$plan->{id}", { name => 'vplan2',
           version => $plan->{version} });
status_is($res, 200, 'a plan update with the current version');
is($res->{json}{version}, 2, '... moves it');
$res = api('PATCH', "/api/v1/plans/$plan->{id}", { name => 'vplan3',
           version => $plan->{version} });
status_is($res, 409, 'a stale plan update is 409');
is($res->{json}{error}{code}, 'conflict', '... conflict');
is(api('GET', "/api/v1/plans/$plan->{id}")->{json}{name}, 'vplan2',
   '... and changes nothing');
status_is(api('PATCH', "/api/v1/plans/$plan->{id}", { name => 'vplan4' }),
          200, 'without a version the update is unconditional');

my $sub = $stack->make_or_die('/api/v1/subscriptions',
    { userId => $alice->{id}, planId => $plan->{id} });
ok($sub->{version} >= 1, 'a subscription has a version');
$res = api('PATCH', "/api/v1/subscriptions/$sub->{id}", { autoRenew => \1,
           version => $sub->{version} });
status_is($res, 200, 'a subscription update with the current version');
is($res->{json}{version}, $sub->{version} + 1, '... moves it');
status_is(api('PATCH', "/api/v1/subscriptions/$sub->{id}",
              { autoRenew => \0, version => $sub->{version} }), 409,
          'a stale subscription update is 409');
status_is(api('PATCH', "/api/v1/subscriptions/$sub->{id}",
              { version => 'x' }), 400, 'a version that is no number: 400');

$stack->finish;
