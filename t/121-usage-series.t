#!/usr/bin/perl
# The usage API as the web console reads it: usage over time in hours
# (GET /api/v1/usage/summary?groupBy=hour, UTC, labelled by the hour's
# start), the top groups (orderBy on a total, e.g. "costMicros desc" with
# pageSize=5), the newest records and audit entries first (orderBy=id
# desc), for admins and for a user, who sees only their own.  The records
# are written straight into MySQL at known times, as the usage consumer
# would have stored them.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use QL::Stack;

my $stack = QL::Stack->new(services => [qw(redis mariadb admind)]);

my $pw = 'series-password-1';
my $alice = $stack->make_user(username => 'alice', password => $pw);
my $bob = $stack->make_user(username => 'bob', password => $pw);
my $ka = $stack->make_key(userId => $alice->{id}, name => 'alice-1');
my $kb = $stack->make_key(userId => $alice->{id}, name => 'alice-2');
my $kc = $stack->make_key(userId => $bob->{id}, name => 'bob-1');

# key, hour (UTC), model, input, output, cost in micro-dollars
my @records = (
    [ $ka, '2031-03-04 22:10:00', 'model-a', 100, 10, 700 ],
    [ $ka, '2031-03-04 22:59:59.999', 'model-a', 100, 10, 700 ],
    [ $kb, '2031-03-04 23:00:00', 'model-b', 1000, 100, 9000 ],
    [ $kc, '2031-03-04 23:30:00', 'model-c', 10, 1, 50 ],
    [ $kc, '2031-03-05 00:00:01', 'model-c', 10, 1, 50 ],
    [ $kc, '2031-03-05 00:20:00', 'model-c', 10, 1, 50 ],
    [ $kc, '2031-03-05 00:40:00', 'model-c', 10, 1, 50 ],
    # stored last, yet the earliest: before the range below
    [ $ka, '2031-03-03 12:00:00', 'model-a', 1, 1, 1 ],
);
my $n = 0;
$stack->sql_root(join '', map {
    my ($k, $ts, $model, $in, $out, $cost) = @$_;
    $n++;
    "INSERT INTO usage_records (request_id, ts, api_key_id, user_id, "
    . "account_id, platform, model, input_tokens, output_tokens, "
    . "cost_micros, status) VALUES ('series-$n', '$ts', $k->{id}, "
    . "$k->{userId}, NULL, 'claude', '$model', $in, $out, $cost, 200);\n"
} @records);

sub summary {
    my ($query, $token) = @_;
    return $stack->admin('GET', "/api/v1/usage/summary?$query", undef,
                         $token);
}

sub groups {
    my ($res, @fields) = @_;
    @fields = qw(group requests) unless @fields;
    return [ map { my $g = $_; join ' ', map { $g->{$_} } @fields }
             @{ $res->{json}{groups} || [] } ];
}

my $range = 'from=2031-03-04T00:00:00Z&to=2031-03-06T00:00:00Z';

# ---- groupBy=hour ----

my $res = summary("groupBy=hour&$range");
is($res->{status}, 200, 'by hour') or diag($res->{content});
is($res->{json}{groupBy}, 'hour', 'groupBy says so');
is_deeply(groups($res, qw(group requests inputTokens outputTokens
                          costMicros)),
          [ '2031-03-04T22:00:00Z 2 200 20 1400',
            '2031-03-04T23:00:00Z 2 1010 101 9050',
            '2031-03-05T00:00:00Z 3 30 3 150' ],
          'each UTC hour, labelled by its start, oldest first, with its '
          . 'totals (22:59:59.999 in 22:00, 23:00:00 in 23:00)');
is($res->{json}{totalSize}, '3', 'three hours');
is($res->{json}{total}{requests}, '7', 'the total beside them');

is_deeply(groups(summary('groupBy=hour&from=2031-03-04T23:00:00Z'
                         . '&to=2031-03-05T00:00:00Z')),
          [ '2031-03-04T23:00:00Z 2' ], 'narrowed to one hour by from/to');
is_deeply(groups(summary("groupBy=day&$range")),
          [ '2031-03-04 4', '2031-03-05 3' ], 'days still by day');

# ---- orderBy: the top ----

is_deeply(groups(summary("groupBy=key&orderBy=costMicros+desc&$range"),
                 qw(group costMicros)),
          [ "$kb->{id} 9000", "$ka->{id} 1400", "$kc->{id} 200" ],
          'keys by cost, highest first');
$res = summary("groupBy=model&orderBy=requests+desc&pageSize=2&$range");
is_deeply(groups($res), [ 'model-c 4', 'model-a 2' ],
          'the top two models by requests');
ok($res->{json}{nextPageToken}, 'and a next page');
$res = summary("groupBy=model&orderBy=requests+desc&pageSize=2&$range"
               . "&pageToken=$res->{json}{nextPageToken}");
is_deeply(groups($res), [ 'model-b 1' ], 'which holds the rest');
is_deeply(groups(summary("groupBy=hour&orderBy=group+desc&$range")),
          [ '2031-03-05T00:00:00Z 3', '2031-03-04T23:00:00Z 2',
            '2031-03-04T22:00:00Z 2' ], 'newest hour first');
is_deeply(groups(summary("groupBy=hour&orderBy=requests&$range")),
          [ '2031-03-04T22:00:00Z 2', '2031-03-04T23:00:00Z 2',
            '2031-03-05T00:00:00Z 3' ],
          'ties broken by the group, ascending');
is_deeply(groups(summary("groupBy=model&orderBy=outputTokens+desc,"
                         . "inputTokens&$range")),
          [ 'model-b 1', 'model-a 2', 'model-c 4' ], 'two fields');

for my $bad ([ 'groupBy=key&orderBy=userId',
               qr/usage groups cannot be sorted by "userId"/ ],
             [ 'groupBy=key&orderBy=costMicros+sideways',
               qr/"sideways" is not asc or desc/ ],
             [ 'orderBy=costMicros+desc', qr/"orderBy" needs groupBy/ ],
             [ 'groupBy=minute', qr/hour, day, month/ ]) {
    my ($q, $why) = @$bad;
    $res = summary($q);
    is($res->{status}, 400, "$q: 400");
    like($res->{json}{error}{message} // '', $why, 'naming what is wrong');
}

# ---- the newest records and audit entries first ----

sub request_ids {
    my ($res) = @_;
    return [ map { $_->{requestId} } @{ $res->{json}{records} || [] } ];
}
my $recs = "/api/v1/usage/records?keyId=$ka->{id}";
is_deeply(request_ids($stack->admin('GET', $recs)),
          [ 'series-1', 'series-2', 'series-8' ], 'records as they arrived');
is_deeply(request_ids($stack->admin('GET', "$recs&orderBy=id+desc")),
          [ 'series-8', 'series-2', 'series-1' ], 'the newest arrival first');
is_deeply(request_ids($stack->admin('GET', "$recs&orderBy=ts")),
          [ 'series-8', 'series-1', 'series-2' ], 'by time');
$res = $stack->admin('GET', "$recs&orderBy=ts+desc&pageSize=1");
is_deeply(request_ids($res), [ 'series-2' ], 'the latest one');
ok($res->{json}{nextPageToken}, 'with more after it');
$res = $stack->admin('GET', "$recs&orderBy=costMicros");
is($res->{status}, 400, 'records: no sorting by cost');
like($res->{json}{error}{message} // '',
     qr/records cannot be sorted by "costMicros"/, 'so it says');

$res = $stack->admin('GET', '/api/v1/audit-log?orderBy=id+desc&pageSize=1');
is($res->{status}, 200, 'the audit log, newest first');
is_deeply([ map { "$_->{action} $_->{resource} $_->{resourceId}" }
            @{ $res->{json}{entries} || [] } ],
          [ "create api_key $kc->{id}" ], 'the last change: bob\'s key');
is($stack->admin('GET', '/api/v1/audit-log?orderBy=ts+desc')->{status}, 200,
   'by time too');
is($stack->admin('GET', '/api/v1/audit-log?orderBy=actor')->{status}, 400,
   'nothing else');

# ---- a key's last use: its newest stored record ----

my %last = map { $_->{name} => $_->{lastUsedAt} }
    @{ $stack->admin('GET', '/api/v1/api-keys?orderBy=lastUsedAt+desc')
       ->{json}{apiKeys} || [] };
is_deeply(\%last, { 'alice-1' => '2031-03-04T22:59:59Z',
                    'alice-2' => '2031-03-04T23:00:00Z',
                    'bob-1' => '2031-03-05T00:40:00Z' },
          'lastUsedAt: each key\'s newest record');
is_deeply([ map { $_->{name} } @{ $stack->admin('GET',
              '/api/v1/api-keys?orderBy=lastUsedAt+desc')->{json}{apiKeys}
              || [] } ], [ 'bob-1', 'alice-2', 'alice-1' ],
          'and keys sorted by it');
my $unused = $stack->make_key(userId => $bob->{id}, name => 'unused');
is($stack->admin('GET', "/api/v1/api-keys/$unused->{id}")->{json}
   {lastUsedAt}, undef, 'a key never used: null');

# ---- a user: their own keys only ----

my $token = $stack->request('POST', $stack->admin_url . '/api/v1/auth/login',
    {}, { username => 'alice', password => $pw })->{json}{token};
ok($token, 'alice logs in');
is_deeply(groups(summary("groupBy=key&orderBy=costMicros+desc&pageSize=5"
                         . "&$range", $token), qw(group costMicros)),
          [ "$kb->{id} 9000", "$ka->{id} 1400" ],
          'her top keys: hers only');
is_deeply(groups(summary("groupBy=hour&$range", $token)),
          [ '2031-03-04T22:00:00Z 2', '2031-03-04T23:00:00Z 1' ],
          'her hours: her requests only');

$stack->finish;
