# Rights and session hygiene of the worker (doc/security.md).
#  - The utility hook stops a database's worker before DROP DATABASE,
#    ALTER DATABASE ... RENAME / SET TABLESPACE and CREATE DATABASE ...
#    TEMPLATE only for a role that may run the command: refused attempts
#    leave the worker running, with the same pid.
#  - crm.worker_status is not readable by PUBLIC; a monitoring role sees its
#    own database's row only, a superuser every row.
#  - A job's query (audience, segment) leaves the session as it found it:
#    no notification, no large object, no session setting survives it, run
#    by the worker or by hand.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('session_rights');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'crm_marketing'
crm_marketing.naptime = 1
});
$node->start;

my $bootstrap = $node->safe_psql('postgres', 'SELECT current_user');

# (exit code, stdout, stderr) of sql run by a role that logs in itself
sub psql_as
{
	my ($role, $db, $sql) = @_;
	my ($out, $err) = ('', '');
	my $ret = $node->psql($db, $sql, stdout => \$out, stderr => \$err, extra_params => [ '-U', $role ]);
	return ($ret, $out, $err);
}

# "state pid" of a database's worker, as the superuser sees it from shop
sub worker_of
{
	my $db = shift;
	return $node->safe_psql('shop',
		"SELECT state || ' ' || coalesce(pid::text, '-') FROM crm.worker_status WHERE database = '$db'");
}

$node->safe_psql('postgres', q{
	CREATE ROLE intruder LOGIN;             -- no CREATEDB, owns nothing
	CREATE ROLE copier LOGIN CREATEDB;      -- may create databases, owns none of ours
	CREATE ROLE shopowner LOGIN;            -- owns shop, no CREATEDB
	CREATE ROLE spareowner LOGIN CREATEDB;  -- owns spare and may rename it
	CREATE ROLE monitor LOGIN;
	CREATE ROLE marketer LOGIN;
	CREATE DATABASE shop OWNER shopowner;
	CREATE DATABASE other;
	CREATE DATABASE spare OWNER spareowner;
});
$node->safe_psql($_, 'CREATE EXTENSION crm_marketing') for qw(shop other spare);
ok($node->poll_query_until('shop',
	"SELECT count(*) = 3 FROM crm.worker_status WHERE state = 'running' AND database IN ('shop', 'other', 'spare')"),
	'a worker runs in shop, other and spare');

###
### Item 6: a refused command does not stop the worker
###
my ($pid, $tick) = split /\|/,
  $node->safe_psql('shop', "SELECT pid, last_tick FROM crm.worker_status WHERE database = 'shop'");
# each role lacks a different right; PostgreSQL's own error says which
my @refused = (
	[ intruder => 'DROP DATABASE shop', qr/must be owner of database shop/ ],
	[ intruder => 'ALTER DATABASE shop RENAME TO shop_renamed', qr/must be owner of database shop/ ],
	[ intruder => 'ALTER DATABASE shop SET TABLESPACE pg_default', qr/must be owner of database shop/ ],
	[ intruder => 'CREATE DATABASE shop_copy TEMPLATE shop', qr/permission denied to create database/ ],
	[ copier => 'DROP DATABASE shop', qr/must be owner of database shop/ ],
	[ copier => 'ALTER DATABASE shop RENAME TO shop_renamed', qr/must be owner of database shop/ ],
	[ copier => 'CREATE DATABASE shop_copy TEMPLATE shop', qr/permission denied to copy database "shop"/ ],
	[ shopowner => 'ALTER DATABASE shop RENAME TO shop_renamed', qr/permission denied to rename database/ ],
	[ shopowner => 'CREATE DATABASE shop_copy TEMPLATE shop', qr/permission denied to create database/ ],
	[ shopowner => 'ALTER DATABASE shop SET TABLESPACE pg_default', qr/permission denied for tablespace pg_default/ ],
);
for my $case (@refused)
{
	my ($role, $sql, $error) = @$case;
	my ($ret, $out, $err) = psql_as($role, 'postgres', $sql);
	like($err, $error, "$role: $sql is refused");
	# the hook waits for the worker to leave before returning: a stop would show at once
	is(worker_of('shop'), "running $pid", "$role: $sql left the worker running, same pid");
}
{
	local $PostgreSQL::Test::Utils::timeout_default = 20;    # ticks come every second
	ok($node->poll_query_until('shop',
		"SELECT state = 'running' AND pid = $pid AND last_tick > '$tick' FROM crm.worker_status WHERE database = 'shop'"),
		'the worker of shop keeps ticking');
}

# positive control: a role that may rename the database does stop the worker
my ($spare_pid) = worker_of('spare') =~ /^running (\d+)$/;
ok($spare_pid, 'spare has a running worker');
my ($ret, $out, $err) = psql_as('spareowner', 'postgres', 'ALTER DATABASE spare RENAME TO spare_renamed');
is($ret, 0, 'its owner (CREATEDB) renames spare while its worker was attached') or diag $err;
is($node->safe_psql('shop', "SELECT count(*) FROM pg_stat_activity WHERE pid = $spare_pid"), '0',
	'the worker process is gone');

# the hold ends with the command's transaction, not after its 60 s: the
# launcher restarts the worker at once (within 20 s, with ticks every second)
sub restarted_within_20s
{
	my ($db, $old_pid, $what) = @_;
	local $PostgreSQL::Test::Utils::timeout_default = 20;
	ok($node->poll_query_until('shop',
		"SELECT state = 'running' AND pid <> $old_pid FROM crm.worker_status WHERE database = '$db'"),
		$what);
}
restarted_within_20s('spare_renamed', $spare_pid, 'after the rename commits, the worker restarts at once');

# a permitted command that fails, or is rolled back, does not keep the worker away either
($spare_pid) = worker_of('spare_renamed') =~ /^running (\d+)$/;
($ret, $out, $err) = psql_as('spareowner', 'postgres', 'BEGIN; DROP DATABASE spare_renamed;');
like($err, qr/cannot run inside a transaction block/, 'DROP DATABASE in a transaction block fails');
restarted_within_20s('spare_renamed', $spare_pid, 'and the worker it stopped restarts at once');
($spare_pid) = worker_of('spare_renamed') =~ /^running (\d+)$/;
($ret, $out, $err) = psql_as('spareowner', 'postgres',
	'BEGIN; ALTER DATABASE spare_renamed RENAME TO spare_other; ROLLBACK;');
is($ret, 0, 'a rename rolled back') or diag $err;
restarted_within_20s('spare_renamed', $spare_pid, 'restarts the worker at once, under the old name');

# a dropped database's slot is freed: no worker is started for it (which
# would fail with "database <oid> does not exist" in the server log)
my $spare_oid = $node->safe_psql('postgres', "SELECT oid FROM pg_database WHERE datname = 'spare_renamed'");
my $log_offset = -s $node->logfile;
($ret, $out, $err) = psql_as('spareowner', 'postgres', 'DROP DATABASE spare_renamed');
is($ret, 0, 'its owner drops the database') or diag $err;
sleep 3;
unlike(substr(slurp_file($node->logfile), $log_offset), qr/database $spare_oid does not exist/,
	'no worker is started for the dropped database');

###
### Item 7: who sees crm.worker_status
###
# a failing job whose error names a customer: it lands in other's last_error
$node->safe_psql('other', q{
	CREATE TABLE customers (email text);
	INSERT INTO customers VALUES ('alice@example.com');
	SELECT crm.create_campaign('by_email', 'SELECT email::bigint AS customer_id FROM customers', 'email');
});
ok($node->poll_query_until('shop',
	q{SELECT last_error LIKE '%alice@example.com%' FROM crm.worker_status WHERE database = 'other'}),
	'the superuser sees the last error of other, with the customer email, from shop');
is($node->safe_psql('shop', "SELECT string_agg(database, ',' ORDER BY database) FROM crm.worker_status WHERE database IN ('shop', 'other')"),
	'other,shop', 'the superuser sees both databases');
for my $db (qw(shop other))
{
	# SELECT on the view is granted: only EXECUTE on the function stands in the way
	$node->safe_psql($db, q{
		GRANT USAGE ON SCHEMA crm TO intruder, monitor;
		GRANT SELECT ON crm.worker_status TO intruder, monitor;
		GRANT EXECUTE ON FUNCTION crm._worker_status() TO monitor;
	});
}
($ret, $out, $err) = psql_as('intruder', 'shop', 'SELECT * FROM crm.worker_status');
like($err, qr/permission denied for function _worker_status/, 'a plain role may not read crm.worker_status');
is($out, '', 'and gets no row');
($ret, $out, $err) = psql_as('intruder', 'shop', 'SELECT * FROM crm._worker_status()');
like($err, qr/permission denied for function _worker_status/, 'nor call crm._worker_status()');
($ret, $out, $err) = psql_as('monitor', 'shop', 'SELECT * FROM crm.worker_status');
like($out, qr/^shop\|running\|/, 'the monitoring role sees the row of shop') or diag $err;
my @rows = split /\n/, $out;
is(scalar @rows, 1, 'and only that row');
unlike($out, qr/alice|other/, 'nothing of other, not its error');
($ret, $out, $err) = psql_as('monitor', 'other', 'SELECT database, last_error FROM crm.worker_status');
like($out, qr/^other\|.*alice\@example\.com/, 'connected to other, it sees other\'s error (the row is hidden, not the error)')
  or diag $err;
@rows = split /\n/, $out;
is(scalar @rows, 1, 'and only other\'s row');

###
### Item 8: a job's query leaves the session as it found it
###
# Each owner, a plain role and the superuser, writes audiences that notify,
# change work_mem for the session and create large objects (which PostgreSQL
# allows in a read-only transaction: only the rollback removes them).  Jobs
# rerun by hand enter everyone again (per_event_key, a new key each run).
$node->safe_psql('shop', q{
	GRANT USAGE ON SCHEMA crm TO marketer;
	GRANT EXECUTE ON FUNCTION crm.create_campaign, crm.run_campaign, crm.create_segment, crm.refresh_segment TO marketer;
	CREATE SCHEMA mk AUTHORIZATION marketer;
	CREATE SCHEMA su;
});
my %owners = (marketer => { role => 'marketer', schema => 'mk' }, super => { role => $bootstrap, schema => 'su' });

# The notification lines psql printed after each query, per session (needs
# BackgroundPsql); in_session returns the query's output without them.
my %heard;
sub in_session
{
	my ($session, $sql) = @_;
	$session->{stderr} = '';    # BackgroundPsql keeps stderr across queries
	my $out = $session->query($sql);
	my @lines = split /\n/, $out;
	$heard{$session} .= join('', map { "$_\n" } grep { /^Asynchronous notification/ } @lines);
	return (join("\n", grep { !/^Asynchronous notification/ } @lines), $session->{stderr});
}

# everything notified before it has reached the session once a marker sent now has
sub hear_until_marker
{
	my ($session, $marker) = @_;
	$node->safe_psql('shop', "NOTIFY crm_outbox, '$marker'");
	for (1 .. 100)
	{
		in_session($session, 'SELECT 1');
		last if $heard{$session} =~ /payload "$marker"/;
		usleep(100_000);
	}
	return $heard{$session};
}

SKIP:
{
	skip 'PostgreSQL::Test::Cluster has no background_psql (PostgreSQL 15.4 or later): no LISTEN session', 1
	  unless $node->can('background_psql');

	my $listener = $node->background_psql('shop', on_error_stop => 0);
	in_session($listener, 'LISTEN crm_outbox');

	for my $tag (sort keys %owners)
	{
		my ($role, $s) = @{ $owners{$tag} }{qw(role schema)};
		$node->safe_psql('shop', qq{
			SET ROLE "$role";
			CREATE FUNCTION $s.noisy() RETURNS SETOF bigint LANGUAGE sql VOLATILE AS \$f\$
				SELECT pg_notify('crm_outbox', 'from-audience');
				SELECT set_config('work_mem', '77MB', false);
				SELECT generate_series(1, 20)::bigint;
			\$f\$;
			CREATE FUNCTION $s.new_objects() RETURNS SETOF bigint LANGUAGE sql VOLATILE AS \$f\$
				SELECT lo_create(0)::bigint UNION ALL SELECT lo_from_bytea(0, 'audience')::bigint;
			\$f\$;
			SELECT crm.create_campaign('noisy_$tag', 'SELECT $s.noisy() AS customer_id, now()::text AS event_key', 'email',
			                           run_every => '1 day', reentry => 'per_event_key', holdout_percent => 0);
			SELECT crm.create_campaign('objects_$tag', 'SELECT $s.new_objects() AS customer_id, now()::text AS event_key', 'push',
			                           run_every => '1 day', reentry => 'per_event_key', holdout_percent => 0);
			SELECT crm.create_segment('noisy_$tag', 'SELECT $s.noisy() AS customer_id', '1 day');
		});
	}

	# the worker path
	ok($node->poll_query_until('shop', q{SELECT count(DISTINCT job_kind || job_name) = 6 FROM crm.job_runs WHERE run_by = 'worker'}),
		'the worker ran the six jobs');
	is($node->safe_psql('shop', q{SELECT string_agg(job_kind || ' ' || job_name || ': ' || status || coalesce(' ' || error, ''), ', ' ORDER BY job_kind, job_name) FROM crm.job_runs}),
		'campaign noisy_marketer: ok, campaign noisy_super: ok, campaign objects_marketer: ok, campaign objects_super: ok, segment noisy_marketer: ok, segment noisy_super: ok',
		'each ran successfully');
	is($node->safe_psql('shop', q{SELECT string_agg(name || ' ' || n, ', ' ORDER BY name) FROM (SELECT name, count(*) AS n FROM crm.campaign_entries JOIN crm.campaigns USING (campaign_id) GROUP BY name) e}),
		'noisy_marketer 20, noisy_super 20, objects_marketer 2, objects_super 2', 'their audiences ran: every customer entered');
	is($node->safe_psql('shop', q{SELECT string_agg(segment || ' ' || n, ', ' ORDER BY segment) FROM (SELECT segment, count(*) AS n FROM crm.segment_members GROUP BY segment) m}),
		'noisy_marketer 20, noisy_super 20', 'so did the segments\' queries');
	my $heard = hear_until_marker($listener, 'marker-worker');
	like($heard, qr/payload "marker-worker"/, 'the listener heard the marker');
	like($heard, qr/payload "email"/, 'and the notification of the worker\'s runs');
	unlike($heard, qr/from-audience/, 'but none sent by a query of the worker\'s jobs');
	is($node->safe_psql('shop', 'SELECT count(*) FROM pg_largeobject_metadata'), '0',
		'no large object is left by the worker\'s runs');
	is($node->safe_psql('shop', q{SELECT count(*) FROM crm.campaign_entries e JOIN crm.campaigns c USING (campaign_id)
		WHERE c.name LIKE 'objects%' AND e.customer_id::oid NOT IN (SELECT oid FROM pg_largeobject_metadata)}),
		'4', 'the objects the audiences created (their oids are the customer ids) are gone');

	# by hand, in a session of the job's owner
	for my $tag (sort keys %owners)
	{
		my $session = $node->background_psql('shop', on_error_stop => 0, extra_params => [ '-U', $owners{$tag}{role} ]);
		in_session($session, 'LISTEN crm_outbox');
		my ($work_mem) = in_session($session, 'SHOW work_mem');
		my ($r, $e) = in_session($session, "SELECT audience || ' ' || messages FROM crm.run_campaign('noisy_$tag')");
		is($r, '20 20', "$tag: crm.run_campaign ran the notifying audience and wrote its messages") or diag $e;
		($r, $e) = in_session($session, "SELECT audience || ' ' || entries FROM crm.run_campaign('objects_$tag')");
		is($r, '2 2', "$tag: and the one that creates large objects") or diag $e;
		($r, $e) = in_session($session, "SELECT members FROM crm.refresh_segment('noisy_$tag')");
		is($r, '20', "$tag: crm.refresh_segment ran the notifying query") or diag $e;
		($r) = in_session($session, 'SHOW work_mem');
		is($r, $work_mem, "$tag: work_mem of the session is unchanged ($work_mem)");
		$heard = hear_until_marker($session, "marker-$tag");
		like($heard, qr/payload "email"/, "$tag: the session heard its run's notification after commit");
		unlike($heard, qr/from-audience/, "$tag: but none sent by the queries it ran");
		is($node->safe_psql('shop', 'SELECT count(*) FROM pg_largeobject_metadata'), '0', "$tag: no large object is left");
		$session->quit;
	}
	$listener->quit;
}

$node->stop;
done_testing();
