# The upgrade path (doc/upgrading.md).  For every earlier release installed
# beside the current one: create the extension at that version, fill it as a
# shop would (sources, a segment, campaigns with entries, messages, delivery
# reports and suppressions, a stored CLV model, a BI view and a user view on
# crm types), run ALTER EXTENSION ... UPDATE with the worker running, then
#  - every row of every table the extension dumps, the user's objects built on
#    it and their results are unchanged;
#  - the catalog (functions, types, tables, indexes, grants, what pg_dump
#    dumps: test/upgrade/catalog.sql) equals a fresh CREATE EXTENSION's;
#  - the upgraded database keeps working: the worker ticks, a campaign runs,
#    messages are claimed, a BI view is built.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $catalog_sql = slurp_file("$ENV{TESTDIR}/upgrade/catalog.sql");

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'crm_marketing'
crm_marketing.naptime = 1
});
$node->start;

my $current = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'crm_marketing'});
my @released = split /\n/, $node->safe_psql('postgres', qq{
	SELECT version FROM pg_available_extension_versions
	WHERE name = 'crm_marketing' AND version <> '$current' ORDER BY version});
ok(scalar(@released) >= 1, "an earlier release is installed beside $current (@released)");

# every release reaches the current version
for my $from (@released)
{
	is($node->safe_psql('postgres', qq{
		SELECT path IS NOT NULL FROM pg_extension_update_paths('crm_marketing')
		WHERE source = '$from' AND target = '$current'}), 't', "an upgrade path leads from $from to $current");
}

$node->safe_psql('postgres', q{CREATE ROLE marketer; CREATE DATABASE fresh});
$node->safe_psql('fresh', q{CREATE EXTENSION crm_marketing});
my $fresh_catalog = $node->safe_psql('fresh', $catalog_sql);

# what the user sees: every table the extension dumps, row by row, and the
# user's own objects built on crm functions and types
my $snapshot_sql = q{
	SELECT string_agg(line, E'\n' ORDER BY line) FROM (
		SELECT c.tbl::regclass::text || ': ' || count_and_hash AS line
		FROM pg_extension e, unnest(e.extconfig) AS c(tbl),
		     LATERAL (SELECT (xpath('/row/c/text()',
		                     query_to_xml(format('SELECT count(*) || '' rows, '' || coalesce(md5(string_agg(t::text, ''|'' ORDER BY t::text)), ''-'') AS c FROM %s t', c.tbl::regclass), false, true, '')))[1]::text
		                     AS count_and_hash) x
		WHERE e.extname = 'crm_marketing' AND c.tbl::regclass::text NOT LIKE '%_seq'
		UNION ALL
		SELECT 'stored model: ' || (SELECT string_agg(m::text, '|') FROM models m)
		UNION ALL
		SELECT 'model scores: ' || (SELECT string_agg(round(crm.p_alive(m.bgnbd, 2, 20, 30)::numeric, 12)::text, '|') FROM models m)
		UNION ALL
		-- recency_days moves with the clock; the scores do not
		SELECT 'rfm view: ' || (SELECT md5(string_agg((v.customer_id, v.orders, v.revenue, v.r, v.f, v.m, v.cell, v.segment)::text, '|' ORDER BY v.customer_id)) FROM shop_rfm v)
		UNION ALL
		SELECT 'user view: ' || (SELECT md5(string_agg(v::text, '|' ORDER BY v::text)) FROM customer_scores v)
	) s};

for my $from (@released)
{
	my $db = 'shop_' . ($from =~ s/\W/_/gr);
	$node->safe_psql('postgres', qq{CREATE DATABASE $db});
	$node->safe_psql($db, qq{
		CREATE EXTENSION crm_marketing VERSION '$from';
		GRANT USAGE ON SCHEMA crm TO marketer;
		GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA crm TO marketer;
		CREATE TABLE customers AS
			SELECT i AS customer_id, i % 10 <> 0 AS consent, 'Europe/Paris'::text AS time_zone
			FROM generate_series(1, 300) i;
		CREATE TABLE orders AS
			SELECT 1 + (i * 7919) % 300 AS customer_id,
			       timestamptz '2026-01-01' + (i * 104729 % 300) * interval '1 day' AS purchased_at,
			       (10 + i % 90)::numeric AS amount
			FROM generate_series(1, 2000) i;
		GRANT SELECT ON customers, orders TO marketer;
		SELECT crm.register_source('orders', 'orders', 'customer_id', 'purchased_at', 'amount');
		SELECT crm.register_source('customers', 'customers', 'customer_id', time_zone_column => 'time_zone',
		                           consent_column => 'consent');
		SELECT crm.create_segment('buyers', 'SELECT DISTINCT customer_id FROM orders', '1 hour');
		SELECT crm.refresh_segment('buyers');
		SELECT crm.create_frequency_cap('weekly', 3, '7 days');
		SET ROLE marketer;
		SELECT crm.create_campaign('welcome', 'SELECT customer_id FROM customers', 'email',
		                           run_every => '1 hour', holdout_percent => 20, frequency_cap => 'weekly');
		SELECT crm.create_campaign('receipt', 'SELECT customer_id FROM customers WHERE customer_id <= 50', 'sms',
		                           run_every => '1 hour', purpose => 'transactional');
		SELECT crm.run_campaign('welcome');
		SELECT crm.run_campaign('receipt');
		RESET ROLE;
		SELECT crm.report_delivery(message_id, CASE WHEN message_id % 7 = 0 THEN 'unsubscribed' ELSE 'delivered' END)
		FROM crm.claim_messages('email', 60);
		SELECT crm.suppress('5', 'email', 'all', 'manual', 'asked by phone');
		SELECT crm.pause_campaign('receipt');
		CREATE TABLE models AS
			SELECT crm.bgnbd_fit(s.frequency, s.recency, s.tenure) AS bgnbd
			FROM (SELECT (crm.purchase_summary(purchased_at, amount, '2026-12-01', '1 week')).*
			      FROM orders GROUP BY customer_id) s;
		SELECT crm.rfm_view('shop_rfm', 'orders');
		GRANT CREATE ON SCHEMA public TO marketer;
		CREATE VIEW customer_scores AS
			SELECT customer_id, (crm.purchase_summary(purchased_at, amount, '2026-12-01', '1 week')).frequency
			FROM orders GROUP BY customer_id;
	});
	my $before = $node->safe_psql($db, $snapshot_sql);
	like($before, qr/crm\.outbox: \d+ rows/, "$from: the shop is filled");
	unlike($before, qr/crm\.(campaigns|outbox|suppressions|campaign_entries|segment_membership): 0 rows/,
		"$from: campaigns, entries, messages, memberships and suppressions exist");

	$node->safe_psql($db, q{ALTER EXTENSION crm_marketing UPDATE});
	is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'crm_marketing'}),
		$current, "$from: ALTER EXTENSION UPDATE reaches $current");
	is($node->safe_psql($db, $snapshot_sql), $before,
		"$from: every row of the extension's tables, the stored model, its scores and the user's views are unchanged");

	# and it keeps working
	ok($node->poll_query_until($db, qq{SELECT last_tick > now() - interval '2 seconds' FROM crm.worker_status WHERE database = '$db'}),
		"$from: the worker ticks in the upgraded database");
	$node->safe_psql($db, q{INSERT INTO customers SELECT i, true, 'UTC' FROM generate_series(301, 320) i});
	is($node->safe_psql($db, q{SET ROLE marketer; SELECT entries FROM crm.run_campaign('welcome')}), '20',
		"$from: a campaign runs after the upgrade and enters only the new customers");
	ok($node->safe_psql($db, q{SELECT count(*) FROM crm.claim_messages('email', 1000)}) > 0,
		"$from: messages are handed out");
	is($node->safe_psql($db, q{SET ROLE marketer; SELECT crm.cohort_view('shop_cohorts', 'orders', amount_column => 'amount')::text}),
		'shop_cohorts', "$from: a BI view is built by a non-superuser");

	# the grants the shop gave its marketer are the shop's, not the extension's
	$node->safe_psql($db, q{REVOKE ALL ON ALL FUNCTIONS IN SCHEMA crm FROM marketer; REVOKE ALL ON SCHEMA crm FROM marketer});
	my $upgraded_catalog = $node->safe_psql($db, $catalog_sql);
	my $same = $upgraded_catalog eq $fresh_catalog;
	ok($same, "$from: the upgraded catalog equals a fresh install's");
	if (!$same)
	{
		my %fresh = map { $_ => 1 } split /\n/, $fresh_catalog;
		my %upgraded = map { $_ => 1 } split /\n/, $upgraded_catalog;
		diag("only after the upgrade: $_") for grep { !$fresh{$_} } sort keys %upgraded;
		diag("only in a fresh install: $_") for grep { !$upgraded{$_} } sort keys %fresh;
	}
}

done_testing();
