#!/usr/bin/perl
# The C<->Lua contract (ngx_http_quotalane_scripts.h): `config` generates
# each script's prologue of named positions and refuses to configure when
# a script and the lists drift apart.  Runs `config` on copies, no nginx.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Copy qw(copy);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Test::More;
use QL::Stack;

my $repo = QL::Stack::repo();
my $mod = 'ngx_quotalane_module';

sub slurp {
    open my $fh, '<', $_[0] or die "$_[0]: $!";
    local $/;
    return <$fh>;
}

sub spew {
    open my $fh, '>', $_[0] or die "$_[0]: $!";
    print $fh $_[1];
    close $fh;
}

# Runs `config` on a copy of the addon, after edit->(dir); returns its exit
# status, its output and the directory.
sub configure {
    my ($edit) = @_;
    my $dir = tempdir(CLEANUP => 1);
    make_path("$dir/addon/$mod/lua", "$dir/objs", "$dir/auto");
    copy("$repo/config", "$dir/addon/config") or die $!;
    copy("$repo/$mod/ngx_http_quotalane_scripts.h", "$dir/addon/$mod/")
        or die $!;
    copy($_, "$dir/addon/$mod/lua/") or die $! for glob "$repo/$mod/lua/*.lua";
    spew("$dir/auto/module", '');    # nginx's part, not under test
    $edit->("$dir/addon") if $edit;
    my $out = `cd $dir && ngx_addon_dir=$dir/addon NGX_OBJS=$dir/objs \\
               sh -c '. ./addon/config' 2>&1`;
    return ($? >> 8, $out, $dir);
}

sub edit_file {
    my ($file, $from, $to) = @_;
    return sub {
        my $path = "$_[0]/$file";
        my $text = slurp($path);
        $text =~ s/\Q$from\E/$to/ or die "$file: no \"$from\"";
        spew($path, $text);
    };
}

my ($rc, $out, $dir) = configure();
is($rc, 0, 'the scripts and the lists agree') or diag($out);
my $select = slurp("$dir/objs/addon/quotalane/select.lua");
like($select, qr/^local ARG_NOW = 7$/m, 'the prologue names ARGV positions');
like($select, qr/^local KEY_POOL = 1$/m, 'and KEYS positions');
like($select, qr/^local REPLY_ID = 2$/m,
     'and reply positions');
like(slurp("$dir/objs/addon/quotalane/ngx_http_quotalane_scripts.c"),
     qr/local ARG_NOW = 7/, 'the module embeds the script with its prologue');

my @drift = (
    [ 'a script reads a name the lists lack',
      edit_file("$mod/lua/select.lua", 'ARGV[ARG_NOW]', 'ARGV[ARG_NOWW]'),
      qr/ARG_NOWW/ ],
    [ 'a script reads a position by number',
      edit_file("$mod/lua/select.lua", 'ARGV[ARG_DAY]', 'ARGV[7]'),
      qr/ARG_DAY.*ARGV\[7\]|ARGV\[7\].*ARG_DAY/s ],
    [ 'the lists gain an argument no script reads',
      edit_file("$mod/ngx_http_quotalane_scripts.h", "X(p, OPEN_MS)",
                "X(p, OPEN_MS)                                              "
                . "                \\\n    X(p, SPARE)"),
      qr/ARG_SPARE/ ],
    [ 'the lists lose a name a script reads',
      edit_file("$mod/ngx_http_quotalane_scripts.h",
                "    X(p, SYNCED)\n\n/* the record's",
                "\n/* the record's"),
      qr/KEY_SYNCED/ ],
    [ 'a script swaps two names for a third',
      edit_file("$mod/lua/feedback.lua", 'ARGV[ARG_PENALTY]',
                'ARGV[ARG_RECOVERY]'),
      qr/ARG_PENALTY/ ],
);

for my $d (@drift) {
    my ($name, $edit, $names) = @$d;
    my ($rc, $out) = configure($edit);
    isnt($rc, 0, "configure stops: $name");
    like($out, qr/error: lua\/\w+\.lua and ngx_http_quotalane_scripts\.h/,
         "and says which script");
    like($out, $names, 'and which names');
}

done_testing();
