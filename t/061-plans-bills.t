#!/usr/bin/perl
# Plans, subscriptions and bills: CRUD with the API conventions, the
# subscription's plan quota in the key records (quota_limit and
# quota_bucket) and the gateway's 402 once the recorded cost reaches it,
# expiry and auto-renewal by the subscription worker (also catching up
# after an outage, and plan periods inside a longer subscription),
# monthly bills equal to the sums of the usage records, closing a month
# (a snapshot that later records do not change), and what a user-role
# caller may see.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);
use POSIX qw(strftime);
use QL::Stack;

# the subscription worker ticks every second (default 30 s)
$ENV{QL_ADMIND_SUBSCRIPTION_TICK_SECONDS} = 1;

my $stack = QL::Stack->new(key_cache_ttl => '1s');
my $P = 'ql:{main}:';
my $RFC3339 = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
my $account = $stack->make_account;

my $body = { model => 'claude-sonnet-4-5', max_tokens => 16,
             messages => [ { role => 'user', content => 'hi' } ] };

sub api { $stack->admin(@_) }
sub sql { $stack->sql_root($_[0]) }

sub error_ok {
    my ($res, $status, $re, $name) = @_;
    my $e = ref $res->{json} eq 'HASH' ? $res->{json}{error} : undef;
    ok($res->{status} == $status && ref $e eq 'HASH'
       && (!$re || ($e->{message} // '') =~ $re), $name)
        or diag("got $res->{status} " . ($res->{content} // ''));
}

sub post {
    my ($key, $xmock, %o) = @_;
    return $stack->gateway('POST', '/v1/messages',
        { 'x-api-key' => $key->{key}, $xmock ? ('x-mock' => $xmock) : () },
        $o{body} || $body);
}

sub rfc3339 { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $_[0]) }

sub unix {
    my ($s) = @_;
    my ($y, $mo, $d, $h, $mi, $sec) =
        $s =~ /^(\d+)-(\d+)-(\d+)[T ](\d+):(\d+):(\d+)/ or return undef;
    return timegm($sec, $mi, $h, $d, $mo - 1, $y);
}

# a month later, the day clamped to the end of a shorter month
sub add_months {
    my ($t, $n) = @_;
    my @g = gmtime $t;
    my $m = $g[4] + $n;
    my $y = $g[5] + 1900 + int($m / 12);
    $m %= 12;
    my $dim = (31, (($y % 4 == 0 && $y % 100 != 0) || $y % 400 == 0)
                   ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[$m];
    my $d = $g[3] > $dim ? $dim : $g[3];
    return timegm($g[0], $g[1], $g[2], $d, $m, $y);
}

sub quota_of {
    my ($key) = @_;
    my $digest = sha256_hex_of($key->{key});
    return @{ $stack->redis('HMGET', "${P}key:$digest", 'quota_limit',
                            'quota_bucket') };
}

sub sha256_hex_of {
    require Digest::SHA;
    return Digest::SHA::sha256_hex($_[0]);
}

# Polls $check until it is true or $timeout seconds passed.
sub eventually {
    my ($timeout, $check) = @_;
    my $deadline = time + $timeout;
    while (time < $deadline) {
        return 1 if $check->();
        sleep 0.1;
    }
    return $check->();
}

sub login_as {
    my ($user, $password) = @_;
    my $res = $stack->request('POST', $stack->admin_url . '/api/v1/auth/login',
        {}, { username => $user->{username}, password => $password });
    return $res->{json}{token};
}

# ---- plans ----

my $res = api('POST', '/api/v1/plans', {
    name => 'pro', description => 'for pros',
    quotaCostMicros => '5000000', period => 'monthly',
    priceMicros => 20000000, limits => { concurrency => 2 } });
is($res->{status}, 201, 'POST /plans 201');
my $plan = $res->{json};
like($plan->{id}, qr/^\d+$/, 'id as a string');
is($plan->{quotaCostMicros}, '5000000', 'quotaCostMicros as a string');
is($plan->{priceMicros}, '20000000', 'a number in, a string out');
is($plan->{period}, 'monthly', 'period');
is($plan->{status}, 'active', 'status defaults to active');
is_deeply($plan->{limits}, { concurrency => 2 }, 'limits object kept');
like($plan->{createdAt}, $RFC3339, 'createdAt RFC 3339');

error_ok(api('POST', '/api/v1/plans', { name => 'x' }), 400,
         qr/"period" is required/, 'period required');
error_ok(api('POST', '/api/v1/plans', { name => 'x', period => 'hourly' }),
         400, qr/period/, 'period must be daily, weekly or monthly');
error_ok(api('POST', '/api/v1/plans', { name => 'x', period => 'daily',
                                        limits => [1] }),
         400, qr/"limits" must be an object/, 'limits must be an object');
error_ok(api('POST', '/api/v1/plans', { name => 'x', period => 'daily',
                                        quotaCostMicros => -1 }),
         400, qr/quotaCostMicros/, 'negative quota refused');
error_ok(api('POST', '/api/v1/plans', { name => 'pro', period => 'daily' }),
         409, qr/name/, 'duplicate name 409');

$res = api('PATCH', "/api/v1/plans/$plan->{id}",
           { description => 'for real pros', limits => undef });
is($res->{status}, 200, 'PATCH /plans/{id}');
is($res->{json}{description}, 'for real pros', 'description changed');
is($res->{json}{limits}, undef, 'limits cleared with null');
is($res->{json}{quotaCostMicros}, '5000000', 'the rest kept');
is(api('GET', "/api/v1/plans/$plan->{id}")->{json}{name}, 'pro',
   'GET /plans/{id}');
is(api('GET', '/api/v1/plans')->{json}{totalSize}, '1', 'GET /plans');
my $spare = api('POST', '/api/v1/plans', { name => 'spare',
                                           period => 'weekly' })->{json};
is(api('DELETE', "/api/v1/plans/$spare->{id}")->{status}, 204,
   'DELETE an unused plan 204');
is(api('GET', "/api/v1/plans/$spare->{id}")->{status}, 404, 'gone');

# ---- a subscription: the quota reaches the key records ----

my $pw = 'user-secret-1';
my $alice = $stack->make_user(password => $pw);
my $akey = $stack->make_key(userId => $alice->{id});
is_deeply([ quota_of($akey) ], [ undef, undef ],
          'no subscription: no quota fields');

my $t0 = time;
$res = api('POST', '/api/v1/subscriptions',
           { userId => $alice->{id}, planId => $plan->{id} });
is($res->{status}, 201, 'POST /subscriptions 201');
my $sub = $res->{json};
is($sub->{userId}, $alice->{id}, 'userId');
is($sub->{planId}, $plan->{id}, 'planId');
is($sub->{status}, 'active', 'active by default');
is($sub->{autoRenew}, JSON::PP::false, 'autoRenew false by default');
my $start = unix($sub->{startAt});
ok(abs($start - $t0) < 5, 'startAt defaults to now');
is(unix($sub->{expireAt}), add_months($start, 1),
   'expireAt defaults to one plan period later');
is_deeply([ quota_of($akey) ], [ '5000000', "$sub->{id}:$start" ],
          'quota_limit and quota_bucket in the key record at once');

error_ok(api('POST', '/api/v1/subscriptions',
             { userId => $alice->{id}, planId => $plan->{id},
               startAt => rfc3339(time), expireAt => rfc3339(time - 10) }),
         400, qr/expireAt/, 'expireAt before startAt 400');
error_ok(api('POST', '/api/v1/subscriptions',
             { userId => $alice->{id}, planId => 999999 }),
         400, qr/planId/, 'unknown plan 400');
error_ok(api('POST', '/api/v1/subscriptions',
             { userId => 999999, planId => $plan->{id} }),
         400, undef, 'unknown user 400');
error_ok(api('DELETE', "/api/v1/plans/$plan->{id}"), 409, undef,
         'a plan with subscriptions cannot be deleted');

# ---- the gateway: 402 once the recorded cost reaches the quota ----

my $bucket = "$sub->{id}:$start";
my $ucost = "${P}ucost:$alice->{id}:$bucket";
$stack->redis('SET', $ucost, 4_999_999);
is(post($akey)->{status}, 200, 'one micro-dollar below the quota: 200');
$stack->redis('SET', $ucost, 5_000_000);
$res = post($akey);
is($res->{status}, 402, 'at the quota: 402');
is($res->{json}{error}{type}, 'billing_error', 'billing_error');

# real spending against a small plan: $0.01 a day, 4,500 per request
my $small = api('POST', '/api/v1/plans',
                { name => 'tiny', quotaCostMicros => 10000,
                  period => 'daily' })->{json};
my $bob = $stack->make_user(password => $pw);
my $bkey = $stack->make_key(userId => $bob->{id});
my $bsub = api('POST', '/api/v1/subscriptions',
               { userId => $bob->{id}, planId => $small->{id} })->{json};
my (undef, $bb) = quota_of($bkey);
my @st;

# the cost is counted at the log phase, after the answer went out: wait
# for it, or the next request may be admitted by another worker first
for my $i (1 .. 4) {
    push @st, post($bkey, 'input_tokens=1000;output_tokens=100')->{status};
    eventually(5, sub {
        ($stack->redis('GET', "${P}ucost:$bob->{id}:$bb") // 0)
            >= 4500 * ($i < 3 ? $i : 3) });
}
is_deeply(\@st, [ 200, 200, 200, 402 ],
          'the 4th request finds 13,500 spent of 10,000: 402');
is($stack->redis('GET', "${P}ucost:$bob->{id}:$bb"), 13500,
   'the counter holds the recorded cost');
ok(eventually(10, sub {
       sql("SELECT COUNT(*), SUM(cost_micros) FROM usage_records "
           . "WHERE api_key_id = $bkey->{id}") eq "3\t13500\n" }),
   'and the stored records say the same');

# cancelling lifts the quota (the gateway's key cache lives 1 s here)
$res = api('PATCH', "/api/v1/subscriptions/$bsub->{id}",
           { status => 'cancelled' });
is($res->{status}, 200, 'PATCH status cancelled');
is_deeply([ quota_of($bkey) ], [ '0', '0' ], 'quota fields back to 0');
ok(eventually(5, sub { post($bkey)->{status} == 200 }),
   'requests pass again');
error_ok(api('PATCH', "/api/v1/subscriptions/$bsub->{id}",
             { userId => $alice->{id} }), 400, qr/userId/,
         'userId cannot change');

# a key made later gets the quota from the worker's tick
my $akey2 = $stack->make_key(userId => $alice->{id});
ok(eventually(5, sub { ((quota_of($akey2))[0] // '') eq '5000000' }),
   'a key created after the subscription gets the quota');
is((quota_of($akey2))[1], $bucket, 'same bucket');

# ---- plan periods inside a longer subscription ----

my $carol = $stack->make_user(password => $pw);
my $ckey = $stack->make_key(userId => $carol->{id});
my $cstart = time - 40 * 86400;
my $csub = api('POST', '/api/v1/subscriptions',
               { userId => $carol->{id}, planId => $plan->{id},
                 startAt => rfc3339($cstart),
                 expireAt => rfc3339(add_months($cstart, 3)) })->{json};
my $period = add_months($cstart, 1) <= time ? add_months($cstart, 1)
                                              : $cstart;
is((quota_of($ckey))[1], "$csub->{id}:$period",
   'started 40 days ago on a monthly plan: the second period\'s bucket');

# a changed quota reaches the subscribers
api('PATCH', "/api/v1/plans/$plan->{id}", { quotaCostMicros => 7000000 });
is((quota_of($ckey))[0], '7000000', 'plan quota change published');
is((quota_of($akey))[0], '7000000', 'to every subscriber');

# ---- expiry and renewal by the worker ----

my $daily = api('POST', '/api/v1/plans',
                { name => 'day pass', quotaCostMicros => 1000000,
                  period => 'daily' })->{json};

# users and keys first: bcrypt takes its time, the clock runs
my $dave = $stack->make_user(password => $pw);
my $dkey = $stack->make_key(userId => $dave->{id});
my $erin = $stack->make_user(password => $pw);
my $ekey = $stack->make_key(userId => $erin->{id});
my $frank = $stack->make_user(password => $pw);
my $fkey = $stack->make_key(userId => $frank->{id});

my $exp = int(time) + 3;
my $dsub = api('POST', '/api/v1/subscriptions',
               { userId => $dave->{id}, planId => $daily->{id},
                 startAt => rfc3339($exp - 86400), expireAt => rfc3339($exp),
                 autoRenew => JSON::PP::true })->{json};
my $esub = api('POST', '/api/v1/subscriptions',
               { userId => $erin->{id}, planId => $daily->{id},
                 startAt => rfc3339($exp - 86400),
                 expireAt => rfc3339($exp) })->{json};
is((quota_of($ekey))[0], '1000000', 'erin has a quota until it expires');

# three days behind: renewed as often as it takes to cover now
my $old = int(time) - 3 * 86400 - 100;
my $fsub = api('POST', '/api/v1/subscriptions',
               { userId => $frank->{id}, planId => $daily->{id},
                 startAt => rfc3339($old - 86400), expireAt => rfc3339($old),
                 autoRenew => JSON::PP::true })->{json};

ok(eventually(10, sub {
       api('GET', "/api/v1/subscriptions/$esub->{id}")->{json}{status}
           eq 'expired' }), 'without autoRenew: expired after expireAt');
# the worker commits the expiry, then publishes it to Redis
sub quota_text { join ',', map { $_ // 'none' } quota_of($_[0]) }
ok(eventually(10, sub { quota_text($ekey) eq '0,0' }),
   'and its quota is gone') or diag(quota_text($ekey));

ok(eventually(10, sub {
       unix(api('GET', "/api/v1/subscriptions/$dsub->{id}")
            ->{json}{expireAt}) == $exp + 86400 }),
   'with autoRenew: renewed for one more day');
$res = api('GET', "/api/v1/subscriptions/$dsub->{id}")->{json};
is(unix($res->{startAt}), $exp, 'the new period starts at the old end');
is($res->{status}, 'active', 'still active');
ok(eventually(5, sub { ((quota_of($dkey))[1] // '') eq "$dsub->{id}:$exp" }),
   'a fresh quota bucket for the new period');

my ($fs, $fe);
ok(eventually(10, sub {
       $res = api('GET', "/api/v1/subscriptions/$fsub->{id}")->{json};
       ($fs, $fe) = (unix($res->{startAt}), unix($res->{expireAt}));
       $fs <= time && time < $fe }), 'three days behind: renewed')
    or diag("old $old start $res->{startAt} expire $res->{expireAt}");
ok($fe - $fs == 86400 && $fs - $old == 3 * 86400,
   'renewed to the period holding now, one day long');

like(sql("SELECT GROUP_CONCAT(action ORDER BY id) FROM audit_log WHERE "
         . "resource = 'subscription' AND actor_name = 'system' AND "
         . "resource_id IN ('$dsub->{id}', '$esub->{id}')"),
     qr/^(expire,renew|renew,expire)$/m, 'renewal and expiry audited');

# ---- what users see ----

my $atoken = login_as($alice, $pw);
$res = api('GET', '/api/v1/subscriptions', undef, $atoken);
is($res->{status}, 200, 'user: GET /subscriptions');
is_deeply([ map { $_->{id} } @{ $res->{json}{subscriptions} } ],
          [ $sub->{id} ], 'user: only their own');
is(api('GET', "/api/v1/subscriptions/$dsub->{id}", undef, $atoken)
   ->{status}, 404, 'user: somebody else\'s subscription 404');
is(api('GET', "/api/v1/subscriptions/$sub->{id}", undef, $atoken)
   ->{status}, 200, 'user: their own subscription');
is(api('GET', '/api/v1/plans', undef, $atoken)->{status}, 200,
   'user: may read plans');
is(api('POST', '/api/v1/plans', { name => 'mine', period => 'daily' },
       $atoken)->{status}, 403, 'user: may not make plans');
is(api('POST', '/api/v1/subscriptions',
       { userId => $alice->{id}, planId => $plan->{id} }, $atoken)->{status},
   403, 'user: may not subscribe themselves');

# ---- bills of the current month ----

my $akey3 = $stack->make_key(userId => $alice->{id});
api('PATCH', "/api/v1/subscriptions/$sub->{id}", { status => 'cancelled' });
post($akey3, 'input_tokens=1000;output_tokens=10;cache_read=100');
post($akey3, 'input_tokens=10;output_tokens=20;cache_creation_5m=30',
     body => { %$body, model => 'claude-haiku-4-5' });
post($akey3, 'input_tokens=5;output_tokens=5',
     body => { %$body, model => 'claude-haiku-4-5' });
ok(eventually(10, sub {
       sql("SELECT COUNT(*) FROM usage_records WHERE api_key_id = "
           . "$akey3->{id}") == 3 }), 'alice\'s records stored');

my $month = strftime('%Y-%m', gmtime);
$res = api('GET', "/api/v1/bills?month=$month&userId=$alice->{id}");
is($res->{status}, 200, 'GET /bills');
is($res->{json}{closed}, JSON::PP::false, 'the month is open');
my $bill = $res->{json}{bills}[0];
is($bill->{userId}, $alice->{id}, 'the bill of alice');

my $sums = sql("SELECT COUNT(*), SUM(input_tokens), SUM(output_tokens), "
               . "SUM(cache_creation_input_tokens), "
               . "SUM(cache_read_input_tokens), SUM(cost_micros) "
               . "FROM usage_records WHERE user_id = $alice->{id} AND "
               . "ts >= '$month-01'");
chomp $sums;
is(join("\t", @$bill{qw(requests inputTokens outputTokens cacheCreationTokens
                        cacheReadTokens costMicros)}), $sums,
   'bill totals = sums of the usage records');
my %lines = map { $_->{model} => $_ } @{ $bill->{models} };
is_deeply([ sort keys %lines ], [ 'claude-haiku-4-5', 'claude-sonnet-4-5' ],
          'one line per model');
for my $m (sort keys %lines) {
    my $s = sql("SELECT COUNT(*), SUM(cost_micros) FROM usage_records "
                . "WHERE user_id = $alice->{id} AND model = '$m' AND "
                . "ts >= '$month-01'");
    chomp $s;
    is("$lines{$m}{requests}\t$lines{$m}{costMicros}", $s,
       "line $m = its records");
}
my $sum = 0;
$sum += $_->{costMicros} for values %lines;
is($bill->{costMicros}, "$sum", 'lines add up to the total');

$res = api('GET', "/api/v1/bills?month=$month");
my $users = sql("SELECT COUNT(DISTINCT user_id) FROM usage_records WHERE "
                . "ts >= '$month-01'");
is($res->{json}{totalSize}, $users + 0, 'admin: a bill per user with usage');

$res = api('GET', "/api/v1/bills?month=$month", undef, $atoken);
is_deeply([ map { $_->{userId} } @{ $res->{json}{bills} } ], [ $alice->{id} ],
          'user: only their own bill');
is(api('GET', "/api/v1/bills?userId=$bob->{id}", undef, $atoken)->{status},
   403, 'user: somebody else\'s bill 403');
is(api('POST', '/api/v1/bills/close', { month => '2020-01' }, $atoken)
   ->{status}, 403, 'user: may not close months');
is(api('GET', '/api/v1/bills?month=2025-13')->{status}, 400,
   'bad month 400');

# ---- closing a month ----

my $past = '2025-01';
my $rid = 0;
for my $r ([ 'claude-sonnet-4-5', 100, 10, 450 ],
           [ 'claude-sonnet-4-5', 200, 20, 900 ],
           [ 'claude-opus-4-1', 10, 1, 225 ]) {
    $rid++;
    sql("INSERT INTO usage_records (request_id, ts, api_key_id, user_id, "
        . "platform, model, input_tokens, output_tokens, cost_micros) "
        . "VALUES ('past-$rid', '$past-15 12:00:00', $bkey->{id}, "
        . "$bob->{id}, 'claude', '$r->[0]', $r->[1], $r->[2], $r->[3])");
}
$res = api('GET', "/api/v1/bills?month=$past");
is($res->{json}{bills}[0]{costMicros}, '1575', 'past month, open: 1575');

error_ok(api('POST', '/api/v1/bills/close', { month => $month }), 400,
         qr/not over/, 'the current month cannot be closed');
$res = api('POST', '/api/v1/bills/close', { month => $past });
is($res->{status}, 201, 'POST /bills/close 201');
is($res->{json}{month}, $past, 'month');
is($res->{json}{bills}, '1', 'one bill');
like($res->{json}{closedAt}, $RFC3339, 'closedAt');
error_ok(api('POST', '/api/v1/bills/close', { month => $past }), 409,
         qr/closed already/, 'closing twice 409');

sql("INSERT INTO usage_records (request_id, ts, api_key_id, user_id, "
    . "platform, model, input_tokens, output_tokens, cost_micros) "
    . "VALUES ('past-late', '$past-20 12:00:00', $bkey->{id}, $bob->{id}, "
    . "'claude', 'claude-sonnet-4-5', 1, 1, 1000)");
$res = api('GET', "/api/v1/bills?month=$past");
is($res->{json}{closed}, JSON::PP::true, 'closed');
$bill = $res->{json}{bills}[0];
is_deeply([ @$bill{qw(userId requests inputTokens outputTokens costMicros)} ],
          [ $bob->{id}, '3', '310', '31', '1575' ],
          'a closed month does not change');
%lines = map { $_->{model} => $_ } @{ $bill->{models} };
is_deeply([ map { "$_=$lines{$_}{requests}/$lines{$_}{costMicros}" }
            sort keys %lines ],
          [ 'claude-opus-4-1=1/225', 'claude-sonnet-4-5=2/1350' ],
          'its lines neither');

# a month whose records still wait in the stream cannot be closed: the
# table is locked so that the consumer cannot store the record
open(my $lock, '|-', "mariadb --no-defaults -uroot -S $stack->{db_socket} "
     . "quotalane") or die "mariadb: $!";
{
    my $o = select($lock);
    $| = 1;
    select($o);
}
print $lock "LOCK TABLES usage_records WRITE;\n";
sleep 0.5;
$stack->redis('DEL', "${P}usage");
$stack->redis('XADD', "${P}usage", '1000-0', 'request_id', 'from-1970',
              'ts_ms', '1000', 'key_id', $bkey->{id}, 'user_id', $bob->{id},
              'account_id', $account->{id}, 'platform', 'claude',
              'model', 'claude-sonnet-4-5', 'input_tokens', '1',
              'cost_micros', '3');
error_ok(api('POST', '/api/v1/bills/close', { month => '1970-01' }), 409,
         qr/still wait/, 'records of the month in the stream: 409');
print $lock "UNLOCK TABLES;\n";
close $lock;
ok(eventually(10, sub {
       sql("SELECT COUNT(*) FROM usage_records WHERE request_id = "
           . "'from-1970'") == 1 }), 'the waiting record is stored');
$res = api('POST', '/api/v1/bills/close', { month => '1970-01' });
is($res->{status}, 201, 'then the month closes');
is(api('GET', '/api/v1/bills?month=1970-01')->{json}{bills}[0]{costMicros},
   '3', 'with that record');

$stack->finish;
