#!/usr/bin/env perl
# Every header, .proto import, command and Perl module the project uses
# comes from a Debian package that scripts/install-deps.sh installs, or
# from one those depend on.  A package installed by hand on a developer's
# machine (CI runs on that same machine) fails here, naming the file and
# its package, instead of on the next fresh machine.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Cwd qw(abs_path);
use Test::More;
use QL::Stack;

my $repo = QL::Stack::repo();

plan skip_all => 'not a Debian system (no dpkg)'
    unless system('command -v dpkg-query apt-cache >/dev/null 2>&1') == 0;

my @listed = split /\n/, `$repo/scripts/install-deps.sh --list`;
ok(@listed > 10, 'install-deps.sh --list names the packages');

# What the listed packages bring: their installed dependency closure, and
# the essential set every Debian system has.
my %have = map { $_ => 1 } @listed;
my $depends = 'apt-cache depends --recurse --installed --no-recommends '
    . '--no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances '
    . "@listed 2>/dev/null";
for my $line (`$depends`) {
    $have{$1} = 1 if $line =~ /^\s*(?:\|?(?:Pre)?Depends:\s*)?<?([\w.+-]+)>?/;
}
for (`dpkg-query -W -f='\${Package} \${Essential}\\n'`) {
    $have{$1} = 1 if /^(\S+) yes$/;
}

# The package that owns a file (usrmerge: dpkg may know /bin/x as /usr/bin/x
# or the other way round).
sub owner {
    my ($path) = @_;
    $path = abs_path($path) // $path;
    for my $p ($path, $path =~ s{^/usr/}{/}r, $path =~ s{^/(?=[^u])}{/usr/}r)
    {
        my ($line) = grep { !/^diversion by/ }
                     `dpkg-query -S '$p' 2>/dev/null`;
        return (split /[:,]/, $line)[0] if $line;
    }
    return undef;
}

my %checked;
sub comes_from_list {
    my ($what, $path) = @_;
    return if $checked{$path}++;
    my $pkg = owner($path);
    if (!defined $pkg) {
        fail("$what: $path belongs to no Debian package");
        return;
    }
    ok($have{$pkg}, "$what: $path ($pkg)")
        or diag("$pkg is not installed by scripts/install-deps.sh");
}

# Headers: what the compiler really reads for every C file of ours.
my $cflags = `make -s -C $repo print-cflags`;
chomp $cflags;
my @ours = map { glob("$repo/$_") }
    qw(ql/*.c admind/*.c admind/*/*.c t/unit/*.c t/tools/*.c t/fuzz/*.c
       scripts/bench.d/*.c);

my $ngx_src = '/usr/share/nginx/src';
my $incs = '';
if (open my $mk, '<', "$repo/build/nginx/Makefile") {
    local $/;
    my $text = <$mk>;
    ($incs) = $text =~ /^ALL_INCS = (.*?)\n\n/ms;
    $incs =~ s/\\\n//g;
}
ok($incs, 'the module was configured (build/nginx/Makefile)');

sub headers {
    my ($dir, $flags, $file) = @_;
    my $deps = `cd $dir && cc -M $flags $file 2>&1`;
    return () if $? != 0 && !fail("cc -M $file: $deps");
    $deps =~ s/\\\n/ /g;
    $deps =~ s/^[^:]*://;
    return grep { m{^/} && !m{^\Q$repo\E/} && !m{^\Q$ngx_src\E/} }
           split ' ', $deps;
}

for my $c (@ours) {
    comes_from_list('header', $_) for headers($repo, $cflags, $c);
}
for my $c (glob("$repo/ngx_quotalane_module/*.c")) {
    comes_from_list('header', $_) for headers($ngx_src, $incs, $c);
}
comes_from_list('nginx source tree', "$ngx_src/src/core/nginx.h");

# .proto imports, as protoc resolves them (one file per --dependency_out).
my $depfile = "$repo/build/t/004-proto.d";
system('mkdir', '-p', "$repo/build/t");
for my $proto (map { s{^\Q$repo\E/}{}r }
               glob("$repo/proto/quotalane/v1/*.proto")) {
    my $cmd = "cd $repo && protoc -Iproto --dependency_out=$depfile "
        . "--descriptor_set_out=/dev/null $proto 2>&1";
    my $out = `$cmd`;
    ok($? == 0, "protoc compiles $proto") or diag($out);
    open my $d, '<', $depfile or next;
    my $text = do { local $/; <$d> };
    $text =~ s/\\\n/ /g;
    $text =~ s/^[^:]*://;
    comes_from_list('proto import', $_)
        for grep { m{^/usr/} } split ' ', $text;
}
unlink $depfile;

# Commands the build, scripts, tests and bench run, from /usr (a tool in
# another place on PATH, e.g. a pyenv python, does not count).
my @commands = qw(
    cc ar make pkg-config clang nginx protoc python3 perl prove node npm
    redis-server redis-cli mariadbd mariadb mariadb-admin mariadb-install-db
    mariadb-dump slapd ldapadd slappasswd openssl curl ps pgrep taskset
    timeout setsid flock sha256sum diff cmp git wrk h2load valgrind perf
);
for my $cmd (@commands) {
    my ($path) = grep { -x $_ } map { "$_/$cmd" }
        qw(/usr/bin /usr/sbin /bin /sbin);
    if (!$path) {
        fail("command $cmd: not in /usr/bin or /usr/sbin");
        next;
    }
    comes_from_list("command $cmd", $path);
}

# Perl modules the tests use.
my %mods;
for my $t (glob("$repo/t/*.t"), glob("$repo/t/lib/QL/*.pm")) {
    open my $fh, '<', $t or next;
    while (<$fh>) {
        $mods{$1} = 1 if /^use ([A-Z][\w:]+)/ && $1 !~ /^QL::/;
    }
}
for my $m (sort keys %mods) {
    my $path = `perl -M$m -e 'print \$INC{"$m.pm" =~ s{::}{/}gr}' 2>&1`;
    comes_from_list("Perl module $m", $path);
}

done_testing();
