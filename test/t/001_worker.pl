# The launcher and the per-database workers: two databases, CREATE/DROP
# EXTENSION while running, DROP DATABASE while a worker is attached, SIGHUP,
# a terminated worker coming back, campaigns and segments run by the worker,
# failing jobs isolated, a standby doing nothing, pg_dump of the campaign data.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'crm_marketing'
crm_marketing.naptime = 60
max_worker_processes = 16
});
$node->start;

sub running_workers
{
	return $node->safe_psql('postgres',
		"SELECT string_agg(database, ',' ORDER BY database) FROM crm.worker_status WHERE state = 'running'");
}

# the extension in three databases; postgres is where we look at the status
$node->safe_psql('postgres', 'CREATE EXTENSION crm_marketing');
$node->safe_psql('postgres', 'CREATE DATABASE shop1');
$node->safe_psql('postgres', 'CREATE DATABASE shop2');
$node->safe_psql('postgres', 'CREATE DATABASE plain');
$node->safe_psql($_, 'CREATE EXTENSION crm_marketing') for qw(shop1 shop2);
ok($node->poll_query_until('postgres',
	"SELECT string_agg(database, ',' ORDER BY database) = 'postgres,shop1,shop2' FROM crm.worker_status WHERE state = 'running'"),
	'a worker runs in each database with the extension, at once after CREATE EXTENSION');
is($node->safe_psql('postgres', "SELECT count(*) FROM crm.worker_status WHERE database = 'plain' AND state = 'running'"),
	'0', 'no worker where the extension is not installed');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'crm_marketing launcher' AND datname IS NULL"),
	'1', 'one launcher, connected to no database');

# the worker runs a campaign and a segment by itself
$node->safe_psql('shop1', q{
	CREATE TABLE customers AS SELECT i AS customer_id, i % 10 AS score FROM generate_series(1, 500) i;
	SELECT crm.create_campaign('welcome', 'SELECT customer_id FROM customers', 'email', holdout_percent => 10);
	SELECT crm.create_segment('top', 'SELECT customer_id FROM customers WHERE score = 9');
});
ok($node->poll_query_until('shop1', "SELECT count(*) = 500 FROM crm.campaign_entries"),
	'the worker ran the new campaign without waiting for its naptime');
ok($node->poll_query_until('shop1', "SELECT count(*) = 50 FROM crm.segment_members WHERE segment = 'top'"),
	'the worker refreshed the new segment');
is($node->safe_psql('shop1', "SELECT string_agg(DISTINCT run_by, ',') FROM crm.job_runs"), 'worker', 'runs recorded as the worker\'s');

# a failing job is marked failed and does not stop the others
$node->safe_psql('shop1', q{
	CREATE ROLE marketer;
	GRANT USAGE ON SCHEMA crm TO marketer;
	GRANT EXECUTE ON FUNCTION crm.create_campaign(text, text, text, interval, text, interval, float8, text, time, time, interval, interval, integer, text, bigint, text) TO marketer;
	CREATE TABLE secret (customer_id int);
	GRANT SELECT ON secret, customers TO marketer;
	SET ROLE marketer;
	SELECT crm.create_campaign('uses_secret', 'SELECT customer_id FROM secret', 'email', run_every => '1 second');
	RESET ROLE;
	REVOKE SELECT ON secret FROM marketer;
	SELECT crm.create_campaign('broken', 'SELECT customer_id FROM customers WHERE 1 / (customer_id - 1) > 0', 'sms', run_every => '1 second');
	SELECT crm.create_campaign('healthy', 'SELECT customer_id FROM customers WHERE customer_id <= 5', 'sms', run_every => '1 second', holdout_percent => 0);
});
ok($node->poll_query_until('shop1', "SELECT count(*) = 2 FROM crm.campaigns WHERE status = 'failed'"),
	'the failing campaigns are marked failed');
like($node->safe_psql('shop1', "SELECT last_error FROM crm.campaigns WHERE name = 'uses_secret'"),
	qr/permission denied for table secret/, 'the audience ran as its owner, who may not read the table');
like($node->safe_psql('shop1', "SELECT last_error FROM crm.campaigns WHERE name = 'broken'"),
	qr/division by zero/, 'the error is recorded');
ok($node->poll_query_until('shop1', "SELECT count(*) = 5 FROM crm.campaign_entries JOIN crm.campaigns USING (campaign_id) WHERE name = 'healthy'"),
	'the other campaigns still run');
is($node->safe_psql('shop1', "SELECT count(*) >= 2 FROM crm.job_runs WHERE status = 'failed'"), 't', 'failures are in the run history');

# DROP EXTENSION stops the worker; CREATE EXTENSION brings it back, no restart
$node->safe_psql('shop2', 'DROP EXTENSION crm_marketing CASCADE');
$node->safe_psql('shop2', "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE false");    # nothing to do: it notices by itself
$node->safe_psql('postgres', "ALTER SYSTEM SET crm_marketing.naptime = 1");
$node->reload;
ok($node->poll_query_until('postgres', "SELECT state = 'not installed' FROM crm.worker_status WHERE database = 'shop2'"),
	'after DROP EXTENSION the worker leaves (SIGHUP lowered its naptime to 1 s)');
$node->safe_psql('shop2', 'CREATE EXTENSION crm_marketing');
ok($node->poll_query_until('postgres', "SELECT state = 'running' FROM crm.worker_status WHERE database = 'shop2'"),
	'after CREATE EXTENSION it is back');

# SIGHUP: the new naptime is used (ticks now come every second)
my $tick = $node->safe_psql('postgres', "SELECT last_tick FROM crm.worker_status WHERE database = 'shop1'");
ok($node->poll_query_until('postgres', "SELECT last_tick > '$tick' FROM crm.worker_status WHERE database = 'shop1'"),
	'the worker ticks again within its new naptime');

# a terminated worker comes back, with a new pid
my $pid = $node->safe_psql('postgres', "SELECT pid FROM crm.worker_status WHERE database = 'shop1'");
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok($node->poll_query_until('postgres',
	"SELECT state = 'running' AND pid <> $pid FROM crm.worker_status WHERE database = 'shop1'"),
	'a terminated worker is restarted');

# DROP DATABASE while its worker is attached: not blocked
my $t0 = time();
$node->safe_psql('postgres', 'DROP DATABASE shop2');
ok(time() - $t0 < 5, 'DROP DATABASE of a database with a running worker succeeds at once');
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM crm.worker_status WHERE database = 'shop2'"),
	'the dropped database is forgotten');
# and the other commands that need the database to themselves
$node->safe_psql('postgres', 'ALTER DATABASE shop1 RENAME TO shop1_renamed');
$node->safe_psql('postgres', 'ALTER DATABASE shop1_renamed RENAME TO shop1');
pass('ALTER DATABASE ... RENAME of a database with a running worker succeeds');

# pg_dump keeps the campaigns, their entries and the messages
my $dump = "${PostgreSQL::Test::Utils::tmp_check}/shop1.dump";
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('shop1') ], 'pg_dump of a database with campaigns');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored'), $dump ], 'pg_restore');
is($node->safe_psql('restored', "SELECT (SELECT count(*) FROM crm.campaigns) || ' ' || (SELECT count(*) FROM crm.campaign_entries) || ' ' || (SELECT count(*) FROM crm.outbox) || ' ' || (SELECT count(*) FROM crm.segment_membership)"),
	$node->safe_psql('shop1', "SELECT (SELECT count(*) FROM crm.campaigns) || ' ' || (SELECT count(*) FROM crm.campaign_entries) || ' ' || (SELECT count(*) FROM crm.outbox) || ' ' || (SELECT count(*) FROM crm.segment_membership)"),
	'campaigns, entries, messages and memberships survive dump and restore');
is($node->safe_psql('restored', "SELECT crm.create_campaign('after_restore', 'SELECT 1 AS customer_id', 'email') > (SELECT max(campaign_id) FROM crm.campaigns WHERE name <> 'after_restore')"),
	't', 'the id sequences were restored too');

# disabling the workers stops them; enabling brings them back
$node->safe_psql('postgres', "ALTER SYSTEM SET crm_marketing.worker_enabled = off");
$node->reload;
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM crm.worker_status WHERE state = 'running'"),
	'worker_enabled = off stops every worker');
$node->safe_psql('postgres', "ALTER SYSTEM SET crm_marketing.worker_enabled = on");
$node->reload;
ok($node->poll_query_until('postgres', "SELECT count(*) >= 2 FROM crm.worker_status WHERE state = 'running'"),
	'worker_enabled = on starts them again');

# a standby does nothing
my $backup = 'backup';
$node->backup($backup);
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, $backup, has_streaming => 1);
$standby->start;
$node->wait_for_catchup($standby);
sleep 2;
is($standby->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'crm_marketing%'"),
	'0', 'no launcher and no worker on a standby');
is($standby->safe_psql('postgres', "SELECT count(*) FROM crm.worker_status"), '0', 'and no worker slot');
$standby->stop;

# a stop is prompt
$t0 = time();
$node->stop('fast');
ok(time() - $t0 < 10, 'the server stops promptly with the workers running');

done_testing();
